"""Signed JSON records: our JWS verifies with jwcrypto, and tampering is detected."""

from __future__ import annotations

import json

import pytest
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from traceability.codes import (
    JwsError,
    SigningKey,
    canonical_json,
    encrypt_private_key,
    jwk_set,
    read_jws_header,
    sign_json,
    verify_jws,
)
from traceability.codes.alphabet import b64url_decode, b64url_encode

PAYLOAD = {"serial": "DEMOGROUPAITEMSERIAL234567", "product": "西红柿", "n": 3}


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": "番茄"}) == '{"a":"番茄","b":1}'.encode()


def test_round_trip(key: SigningKey) -> None:
    jws = sign_json(PAYLOAD, key)
    assert read_jws_header(jws) == {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}
    assert verify_jws(jws, jwk_set([key])) == PAYLOAD


def test_jwcrypto_verifies_our_jws_with_our_jwks(key: SigningKey) -> None:
    jws = sign_json(PAYLOAD, key)
    keyset = jwcrypto_jwk.JWKSet.from_json(json.dumps(jwk_set([key])))
    token = jwcrypto_jws.JWS()
    token.deserialize(jws)
    token.verify(keyset.get_key(key.kid))
    assert json.loads(token.payload) == PAYLOAD


def test_our_verifier_accepts_jwcrypto_signatures(key: SigningKey) -> None:
    private = jwcrypto_jwk.JWK.from_pem(encrypt_private_key(key, "p"), password=b"p")
    token = jwcrypto_jws.JWS(canonical_json(PAYLOAD))
    token.add_signature(private, alg="EdDSA", protected={"alg": "EdDSA", "kid": key.kid})
    assert verify_jws(token.serialize(compact=True), jwk_set([key])) == PAYLOAD


def test_tampered_payload_fails(key: SigningKey) -> None:
    header, _, signature = sign_json(PAYLOAD, key).split(".")
    forged = b64url_encode(canonical_json({**PAYLOAD, "n": 4}))
    with pytest.raises(JwsError) as err:
        verify_jws(f"{header}.{forged}.{signature}", jwk_set([key]))
    assert err.value.code == "bad_signature"


def test_unknown_key_and_wrong_type(key: SigningKey, foreign_key: SigningKey) -> None:
    with pytest.raises(JwsError) as err:
        verify_jws(sign_json(PAYLOAD, foreign_key), jwk_set([key]))
    assert err.value.code in ("unknown_key", "bad_signature")
    with pytest.raises(JwsError) as err:
        verify_jws(sign_json(PAYLOAD, key), jwk_set([key]), typ="trc-revocations+jwt")
    assert err.value.code == "wrong_type"


def test_alg_none_is_refused(key: SigningKey) -> None:
    header = b64url_encode(canonical_json({"alg": "none", "kid": key.kid}))
    payload = sign_json(PAYLOAD, key).split(".")[1]
    with pytest.raises(JwsError):
        verify_jws(f"{header}.{payload}.", jwk_set([key]))
    assert b64url_decode(payload)


@pytest.mark.parametrize("text", ["", "a.b", "a.b.c", "...", "é.é.é", "e30.e30.AA", "W10.e30."])
def test_garbage_is_malformed(key: SigningKey, text: str) -> None:
    with pytest.raises(JwsError):
        verify_jws(text, jwk_set([key]))
