"""Key material: signing keys, public keys, encryption at rest, JWK and JWK Set.

The caller decides where keys live and caches the decrypted :class:`SigningKey` in
memory; this module only converts between forms and refuses anything it cannot trust.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from traceability.codes.alphabet import b64url_decode, b64url_encode
from traceability.codes.errors import KeyMaterialError
from traceability.codes.signing import ED25519, SCHEMES_BY_JWK, SignatureScheme


@dataclass(frozen=True)
class PublicKey:
    """A published verification key: its scheme, raw bytes, kid and a loaded handle."""

    scheme: SignatureScheme
    raw: bytes
    kid: str
    handle: object = field(repr=False, compare=False)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True iff ``signature`` over ``message`` is valid under this key."""
        return self.scheme.verify(self.handle, message, signature)

    def to_jwk(self) -> dict[str, str]:
        """The JWK published in ``/.well-known/jwks.json`` (RFC 8037)."""
        return {
            "kty": self.scheme.jwk_kty,
            "crv": self.scheme.name,
            "x": b64url_encode(self.raw),
            "kid": self.kid,
            "alg": self.scheme.jws_alg,
            "use": "sig",
        }


@dataclass(frozen=True)
class SigningKey:
    """A decrypted private key, ready to sign; keep it in memory only."""

    scheme: SignatureScheme
    handle: object = field(repr=False, compare=False)
    public: PublicKey
    sign: Callable[[bytes], bytes] = field(init=False, repr=False, compare=False)
    """Sign a message: the scheme's signer for this key, made once."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sign", self.scheme.signer(self.handle))

    @property
    def kid(self) -> str:
        return self.public.kid


def _from_handle(scheme: SignatureScheme, handle: object) -> SigningKey:
    raw = scheme.public_raw(handle)
    public = PublicKey(scheme=scheme, raw=raw, kid=scheme.kid(raw), handle=scheme.load_public(raw))
    return SigningKey(scheme=scheme, handle=handle, public=public)


def generate_signing_key(
    scheme: SignatureScheme = ED25519, *, avoid_kids: Collection[str] = ()
) -> SigningKey:
    """A fresh key from the CSPRNG whose kid differs from every kid in ``avoid_kids``.

    Kids are 20 bits, so a deployment keeps its own kids distinct at generation time.
    """
    while True:
        key = _from_handle(scheme, scheme.generate())
        if key.kid not in avoid_kids:
            return key


def signing_key_from_seed(seed: bytes, scheme: SignatureScheme = ED25519) -> SigningKey:
    """A key from raw private bytes; used for the documented test-vector key."""
    try:
        return _from_handle(scheme, scheme.private_from_seed(seed))
    except ValueError as exc:
        raise KeyMaterialError("malformed_key", str(exc)) from exc


def encrypt_private_key(key: SigningKey, passphrase: str | bytes) -> bytes:
    """PEM PKCS#8 encrypted with ``passphrase`` (best available: AES-256-CBC, scrypt/PBKDF2)."""
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    if not secret:
        raise KeyMaterialError("wrong_passphrase", "an empty passphrase would store the key bare")
    handle = key.handle
    if not isinstance(handle, Ed25519PrivateKey):
        raise KeyMaterialError("unsupported_key", type(handle).__name__)
    return handle.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret),
    )


def load_private_key(pem: bytes, passphrase: str | bytes) -> SigningKey:
    """Decrypt a key written by :func:`encrypt_private_key`; ``wrong_passphrase`` if it fails."""
    secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        handle = serialization.load_pem_private_key(pem, password=secret or None)
    except TypeError as exc:  # not encrypted, or encrypted but no passphrase given
        raise KeyMaterialError("wrong_passphrase", str(exc)) from exc
    except ValueError as exc:
        # cryptography says "Bad decrypt. Incorrect password?" for a wrong passphrase.
        code = "wrong_passphrase" if b"ENCRYPTED" in pem else "malformed_key"
        raise KeyMaterialError(code, str(exc)) from exc
    if not isinstance(handle, Ed25519PrivateKey):
        raise KeyMaterialError("unsupported_key", type(handle).__name__)
    return _from_handle(ED25519, handle)


def public_key_from_raw(raw: bytes, scheme: SignatureScheme = ED25519) -> PublicKey:
    """A :class:`PublicKey` from raw public bytes."""
    try:
        handle = scheme.load_public(raw)
    except ValueError as exc:
        raise KeyMaterialError("malformed_key", str(exc)) from exc
    return PublicKey(scheme=scheme, raw=raw, kid=scheme.kid(raw), handle=handle)


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Load one JWK, checking it fully: known kty/crv, 32-byte ``x``, kid = derived kid.

    Raises ``unsupported_key`` for a kty/crv we do not know (callers may skip those) and
    ``malformed_key`` / ``kid_mismatch`` for a key that claims to be ours but is wrong.
    """
    if not isinstance(jwk, Mapping):
        raise KeyMaterialError("malformed_key", "a JWK is a JSON object")
    scheme = SCHEMES_BY_JWK.get((str(jwk.get("kty")), str(jwk.get("crv"))))
    if scheme is None:
        raise KeyMaterialError("unsupported_key", f"kty={jwk.get('kty')} crv={jwk.get('crv')}")
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", scheme.jws_alg) != scheme.jws_alg:
        raise KeyMaterialError("malformed_key", "use must be sig and alg must match the curve")
    if "d" in jwk:
        raise KeyMaterialError("malformed_key", "a published JWK must not hold the private part")
    x = jwk.get("x")
    try:
        raw = b64url_decode(x) if isinstance(x, str) else b""
    except ValueError as exc:
        raise KeyMaterialError("malformed_key", "x is not canonical base64url") from exc
    key = public_key_from_raw(raw, scheme)
    if "kid" in jwk and jwk["kid"] != key.kid:
        raise KeyMaterialError("kid_mismatch", f"{jwk['kid']!r} != {key.kid!r}")
    return key


def jwk_set(keys: Iterable[PublicKey | SigningKey]) -> dict[str, list[dict[str, str]]]:
    """The JWK Set document (RFC 7517 §5) for ``/.well-known/jwks.json``."""
    publics = [k.public if isinstance(k, SigningKey) else k for k in keys]
    return {"keys": [k.to_jwk() for k in publics]}


class KeyRing:
    """Published keys indexed by kid, built once from a JWK Set and reused per verification.

    Several keys may share a 20-bit kid; :meth:`candidates` returns all of them.
    """

    def __init__(self, keys: Iterable[PublicKey]) -> None:
        self._by_kid: dict[str, list[PublicKey]] = {}
        for key in keys:
            bucket = self._by_kid.setdefault(key.kid, [])
            if all(k.raw != key.raw for k in bucket):
                bucket.append(key)

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any], *, strict: bool = True) -> KeyRing:
        """Load a JWK Set; skip keys of unknown type; with ``strict``, a bad key is an error."""
        entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(entries, list):
            raise KeyMaterialError("malformed_key", 'a JWK Set is {"keys": [...]}')
        keys: list[PublicKey] = []
        for entry in entries:
            try:
                keys.append(public_key_from_jwk(entry))
            except KeyMaterialError as exc:
                if strict and exc.code != "unsupported_key":
                    raise
        return cls(keys)

    def candidates(self, kid: str) -> list[PublicKey]:
        """Every key published under ``kid`` (usually one, possibly none)."""
        return self._by_kid.get(kid, [])

    def __contains__(self, kid: object) -> bool:
        return kid in self._by_kid

    def __iter__(self) -> Iterator[PublicKey]:
        for bucket in self._by_kid.values():
            yield from bucket

    def __len__(self) -> int:
        return sum(len(b) for b in self._by_kid.values())
