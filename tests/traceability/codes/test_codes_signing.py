"""Ed25519 signs through libsodium and verifies through `cryptography`: same bytes."""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from traceability.codes import generate_signing_key, signed_message
from traceability.codes.keys import signing_key_from_seed
from traceability.codes.signing import ED25519

# RFC 8032, section 7.1: TEST 1, TEST 2 and TEST 3 (secret key, message, signature)
RFC8032_VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("seed", "message", "signature"), RFC8032_VECTORS)
def test_a_key_signs_the_rfc_8032_test_vectors(seed: str, message: str, signature: str) -> None:
    key = signing_key_from_seed(bytes.fromhex(seed))

    assert key.sign(bytes.fromhex(message)).hex() == signature


def test_the_signer_gives_the_bytes_cryptography_gives_and_verifies() -> None:
    for _ in range(50):
        private = Ed25519PrivateKey.generate()
        message = secrets.token_bytes(secrets.randbelow(600))

        signature = ED25519.signer(private)(message)

        assert signature == private.sign(message)
        assert len(signature) == ED25519.signature_size
        assert ED25519.verify(private.public_key(), message, signature)


def test_each_key_signs_with_its_own_secret() -> None:
    first, second = generate_signing_key(), generate_signing_key()
    message = signed_message("ABCDEFGHJK", "MNPQRSTVWX", first.kid)

    assert first.sign(message) != second.sign(message)
    assert first.public.verify(message, first.sign(message))
    assert not second.public.verify(message, first.sign(message))
