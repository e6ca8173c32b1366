"""Shared keys and codes for the code-core tests; the vector key is the documented one."""

from __future__ import annotations

import pytest

from traceability.codes import (
    ItemCode,
    SigningKey,
    Verifier,
    generate_signing_key,
    jwk_set,
    sign_item_code,
    signing_key_from_seed,
)

BASE_URL = "http://127.0.0.1:8000"
HOSTS = ["127.0.0.1:8000"]


@pytest.fixture(scope="session")
def key() -> SigningKey:
    return signing_key_from_seed(bytes(range(32)))


@pytest.fixture(scope="session")
def foreign_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="session")
def jwks(key: SigningKey) -> dict[str, list[dict[str, str]]]:
    return jwk_set([key])


@pytest.fixture(scope="session")
def code(key: SigningKey) -> ItemCode:
    return sign_item_code("DEMOGROUPA", "ITEMSERIAL234567", key)


@pytest.fixture(scope="session")
def verifier(jwks: dict[str, list[dict[str, str]]]) -> Verifier:
    return Verifier(jwks, accepted_hosts=HOSTS)
