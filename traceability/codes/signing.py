"""Signature schemes behind one small interface, so a national-crypto (SM2) scheme can join.

A scheme works on *handles*: key objects it loaded itself (for Ed25519, the
``cryptography`` key objects). Loading once and reusing the handle is what makes bulk
signing and the offline verifier fast; for the same reason a key signs through the
`signer` its scheme made for it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import nacl.bindings
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from traceability.codes.alphabet import b32encode

KID_LENGTH = 4
"""Characters of base32 in a key id: the first 20 bits of SHA-256 of the raw public key."""


def derive_kid(public_raw: bytes) -> str:
    """Key id of a raw public key: base32 of the first 20 bits of its SHA-256.

    Only 20 bits, to keep the QR small: a kid is a hint, not an identity, so verifiers try
    every published key that carries it.
    """
    return b32encode(hashlib.sha256(public_raw).digest()[:3])[:KID_LENGTH]


@runtime_checkable
class SignatureScheme(Protocol):
    """What the code format needs from a signature algorithm."""

    name: str
    """Curve / algorithm name as in a JWK ``crv``, e.g. ``"Ed25519"``."""
    jws_alg: str
    """JOSE ``alg`` value, e.g. ``"EdDSA"``."""
    jwk_kty: str
    """JWK ``kty``, e.g. ``"OKP"``."""
    signature_size: int
    """Bytes in one signature."""

    def generate(self) -> object:
        """A new private key handle, from a CSPRNG."""
        ...

    def private_from_seed(self, seed: bytes) -> object:
        """A private key handle from its raw private bytes (test vectors, import)."""
        ...

    def public_raw(self, private: object) -> bytes:
        """Raw public key bytes of a private key handle."""
        ...

    def load_public(self, raw: bytes) -> object:
        """A public key handle from raw public key bytes; ValueError if invalid."""
        ...

    def signer(self, private: object) -> Callable[[bytes], bytes]:
        """A function signing messages with ``private``, made once per key and kept."""
        ...

    def verify(self, public: object, message: bytes, signature: bytes) -> bool:
        """True iff ``signature`` is valid for ``message`` under ``public``."""
        ...

    def kid(self, public_raw: bytes) -> str:
        """The key id of a raw public key."""
        ...


class Ed25519Scheme:
    """Ed25519 (RFC 8032); deterministic, 64-byte signatures.

    Keys, their encryption at rest and verification go through ``cryptography``;
    signing goes through libsodium (PyNaCl), which signs in ~15 µs where OpenSSL takes
    ~20 µs. Every JSON lookup answer and every item code is signed, so that is the
    public lookup's largest single piece of Python after its database read. Ed25519 is
    deterministic: both libraries give the same bytes (tests/traceability/codes/
    test_codes_signing.py).
    """

    name = "Ed25519"
    jws_alg = "EdDSA"
    jwk_kty = "OKP"
    signature_size = 64
    public_size = 32

    def generate(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.generate()

    def private_from_seed(self, seed: bytes) -> Ed25519PrivateKey:
        if len(seed) != 32:
            raise ValueError("an Ed25519 private key is 32 bytes")
        return Ed25519PrivateKey.from_private_bytes(seed)

    def public_raw(self, private: object) -> bytes:
        assert isinstance(private, Ed25519PrivateKey)
        return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def load_public(self, raw: bytes) -> Ed25519PublicKey:
        if len(raw) != self.public_size:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return Ed25519PublicKey.from_public_bytes(raw)

    def signer(self, private: object) -> Callable[[bytes], bytes]:
        assert isinstance(private, Ed25519PrivateKey)
        # libsodium's secret key is the seed followed by the public key
        _, secret = nacl.bindings.crypto_sign_seed_keypair(private.private_bytes_raw())
        crypto_sign = nacl.bindings.crypto_sign
        size = self.signature_size

        def sign(message: bytes) -> bytes:
            return crypto_sign(message, secret)[:size]  # the signature, then the message

        return sign

    def verify(self, public: object, message: bytes, signature: bytes) -> bool:
        assert isinstance(public, Ed25519PublicKey)
        if len(signature) != self.signature_size:
            return False
        try:
            public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def kid(self, public_raw: bytes) -> str:
        return derive_kid(public_raw)


ED25519 = Ed25519Scheme()

SCHEMES_BY_JWK: dict[tuple[str, str], SignatureScheme] = {("OKP", "Ed25519"): ED25519}
"""Schemes keyed by JWK (``kty``, ``crv``); add SM2 here when it exists."""
