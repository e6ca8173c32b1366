"""Signed JSON records as compact JWS (RFC 7515) with EdDSA (RFC 8037).

Used for the JSON lookup answer and the revocation list, so a caching proxy or mirror
cannot alter them unnoticed. The payload is canonical JSON (sorted keys, no spaces,
UTF-8), so one record has one byte string and signing is reproducible.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from traceability.codes.alphabet import b64url_decode, b64url_encode
from traceability.codes.errors import JwsError
from traceability.codes.keys import KeyRing, SigningKey

MAX_JWS_LENGTH = 64 * 1024 * 1024
"""Refuse absurd inputs before decoding (a revocation list of millions of entries fits)."""


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
"""What `json.dumps` builds anew for every call with these options; one serves them all."""


def canonical_json(value: Any) -> bytes:
    """``json.dumps(sort_keys, separators=(",", ":"), ensure_ascii=False)`` as UTF-8."""
    return _CANONICAL.encode(value).encode("utf-8")


def sign_json(payload: Mapping[str, Any], key: SigningKey, *, typ: str = "JWT") -> str:
    """Compact JWS of ``payload`` with header ``{"alg","kid","typ"}``, signed by ``key``."""
    return sign_canonical(canonical_json(dict(payload)), key, typ=typ)


def sign_canonical(payload: bytes, key: SigningKey, *, typ: str = "JWT") -> str:
    """`sign_json` of a payload already serialised with `canonical_json`."""
    signing_input = _encoded_header(key.scheme.jws_alg, key.kid, typ) + "." + b64url_encode(payload)
    signature = key.sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)


@lru_cache(maxsize=64)
def _encoded_header(alg: str, kid: str, typ: str) -> str:
    """The protected header, encoded once per key: every JSON lookup answer signs one."""
    return b64url_encode(canonical_json({"alg": alg, "kid": kid, "typ": typ}))


def _decode_segment(segment: str, what: str) -> bytes:
    try:
        return b64url_decode(segment)
    except ValueError as exc:
        raise JwsError("malformed_jws", f"{what} is not base64url") from exc


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise JwsError("malformed_jws", f"{what} is not UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise JwsError("malformed_jws", f"{what} is not a JSON object")
    return value


def read_jws_header(jws: str) -> dict[str, Any]:
    """The protected header of a compact JWS, unverified (to pick a key or a type)."""
    if not isinstance(jws, str) or len(jws) > MAX_JWS_LENGTH or jws.count(".") != 2:
        raise JwsError("malformed_jws", "a compact JWS has three dot-separated parts")
    return _json_object(_decode_segment(jws.split(".", 1)[0], "header"), "header")


def verify_jws(
    jws: str, jwks: Mapping[str, Any] | KeyRing, *, typ: str | None = None
) -> dict[str, Any]:
    """Verify a compact JWS against a JWK Set (or a prebuilt KeyRing); return the payload.

    Raises JwsError: ``malformed_jws``, ``unknown_key`` (kid not published), ``bad_signature``
    and ``wrong_type`` (when ``typ`` is given and differs). ``crit`` headers are refused.
    """
    header = read_jws_header(jws.strip() if isinstance(jws, str) else jws)
    ring = jwks if isinstance(jwks, KeyRing) else KeyRing.from_jwks(jwks)
    kid = header.get("kid")
    if "crit" in header or not isinstance(kid, str):
        raise JwsError("malformed_jws", "header needs a kid and no crit")
    if typ is not None and header.get("typ") != typ:
        raise JwsError("wrong_type", f"expected typ {typ!r}")
    candidates = ring.candidates(kid)
    if not candidates:
        raise JwsError("unknown_key", kid)
    header_b64, payload_b64, signature_b64 = jws.strip().split(".")
    signature = _decode_segment(signature_b64, "signature")
    payload = _decode_segment(payload_b64, "payload")  # also proves the segment is ASCII
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
    for key in candidates:
        if header.get("alg") == key.scheme.jws_alg and key.verify(signing_input, signature):
            return _json_object(payload, "payload")
    raise JwsError("bad_signature", kid)
