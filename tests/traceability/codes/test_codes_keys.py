"""Key material: encryption at rest, JWK and JWK Set, kid derivation."""

from __future__ import annotations

import hashlib
import json

import pytest
from jwcrypto import jwk as jwcrypto_jwk

from traceability.codes import (
    KeyMaterialError,
    KeyRing,
    SigningKey,
    derive_kid,
    encrypt_private_key,
    generate_signing_key,
    jwk_set,
    load_private_key,
    public_key_from_jwk,
)
from traceability.codes.alphabet import b32encode


def test_kid_is_first_20_bits_of_sha256_of_raw_public_key(key: SigningKey) -> None:
    digest = hashlib.sha256(key.public.raw).digest()
    bits = format(int.from_bytes(digest[:3], "big") >> 4, "020b")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    assert key.kid == "".join(alphabet[int(bits[i : i + 5], 2)] for i in range(0, 20, 5))
    assert key.kid == derive_kid(key.public.raw) == b32encode(digest)[:4]


def test_private_key_round_trips_encrypted(key: SigningKey) -> None:
    pem = encrypt_private_key(key, "正确的口令 correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in pem
    loaded = load_private_key(pem, "正确的口令 correct horse")
    assert loaded.public.raw == key.public.raw
    assert loaded.sign(b"x") == key.sign(b"x")


def test_wrong_passphrase_is_a_clear_error(key: SigningKey) -> None:
    pem = encrypt_private_key(key, "right")
    for wrong in ("wrong", ""):
        with pytest.raises(KeyMaterialError) as err:
            load_private_key(pem, wrong)
        assert err.value.code == "wrong_passphrase"
        assert "口令" in err.value.message_zh


def test_empty_passphrase_is_refused_at_write(key: SigningKey) -> None:
    with pytest.raises(KeyMaterialError):
        encrypt_private_key(key, "")


def test_garbage_key_file_is_malformed() -> None:
    with pytest.raises(KeyMaterialError) as err:
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "x")
    assert err.value.code in ("malformed_key", "wrong_passphrase")


def test_generated_keys_avoid_given_kids() -> None:
    first = generate_signing_key()
    assert generate_signing_key(avoid_kids={first.kid}).kid != first.kid


def test_jwk_round_trips_and_matches_rfc8037_shape(key: SigningKey) -> None:
    jwk = key.public.to_jwk()
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert public_key_from_jwk(jwk).raw == key.public.raw


def test_jwks_is_readable_by_jwcrypto(key: SigningKey) -> None:
    keyset = jwcrypto_jwk.JWKSet.from_json(json.dumps(jwk_set([key, generate_signing_key()])))
    found = keyset.get_key(key.kid)
    assert found is not None
    assert found.export_public(as_dict=True)["x"] == key.public.to_jwk()["x"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"kid": "AAAA"}, "kid_mismatch"),
        ({"x": "AAAA"}, "malformed_key"),
        ({"use": "enc"}, "malformed_key"),
        ({"alg": "ES256"}, "malformed_key"),
        ({"d": "secret"}, "malformed_key"),
        ({"crv": "X25519"}, "unsupported_key"),
    ],
)
def test_bad_jwks_are_rejected(key: SigningKey, change: dict[str, str], code: str) -> None:
    jwk = {**key.public.to_jwk(), **change}
    if change.get("kid") == key.kid:
        pytest.skip("kid happens to be AAAA")
    with pytest.raises(KeyMaterialError) as err:
        public_key_from_jwk(jwk)
    assert err.value.code == code


def test_keyring_skips_unknown_key_types_and_indexes_by_kid(key: SigningKey) -> None:
    jwks = jwk_set([key])
    jwks["keys"].append({"kty": "EC", "crv": "SM2", "x": "…", "kid": "SM2A"})
    ring = KeyRing.from_jwks(jwks)
    assert len(ring) == 1
    assert key.kid in ring
    assert ring.candidates(key.kid)[0].raw == key.public.raw


def test_keyring_refuses_a_document_that_is_not_a_jwk_set() -> None:
    with pytest.raises(KeyMaterialError):
        KeyRing.from_jwks({"keys": "nope"})
