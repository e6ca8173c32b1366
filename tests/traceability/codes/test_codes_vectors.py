"""The test vectors in docs/code-format.md are checked here, so the document cannot drift."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.traceability.codes.codes_vectors import build_vectors
from traceability.codes import (
    Verifier,
    code_url,
    gs1_digital_link_url,
    jwk_set,
    load_revocation_list,
    parse_scanned_text,
    sign_item_code,
    signed_message,
    signing_key_from_seed,
    verify_jws,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "code-format.md"


def _doc_vectors() -> dict[str, Any]:
    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    vectors = [json.loads(b) for b in blocks if '"format": "TRC1"' in b]
    assert len(vectors) == 1, "docs/code-format.md must hold exactly one vector block"
    return vectors[0]


VECTORS = _doc_vectors()
KEY = signing_key_from_seed(bytes.fromhex(VECTORS["keys"]["signing_seed_hex"]))
SECOND = signing_key_from_seed(bytes.fromhex(VECTORS["keys"]["second_seed_hex"]))
KEYS_BY_KID = {KEY.kid: KEY, SECOND.kid: SECOND}


def test_document_vectors_equal_the_generator_output() -> None:
    assert build_vectors() == VECTORS


def test_published_keys_derive_from_the_documented_seeds() -> None:
    keys = VECTORS["keys"]
    assert KEY.public.raw.hex() == keys["public_hex"]
    assert KEY.kid == keys["kid"]
    assert SECOND.kid == keys["second_kid"]
    assert jwk_set([KEY, SECOND]) == keys["jwks"]


@pytest.mark.parametrize("vector", VECTORS["codes"], ids=lambda v: v["serial"])
def test_code_vector(vector: dict[str, Any]) -> None:
    key = KEYS_BY_KID[vector["kid"]]
    message = signed_message(vector["group"], vector["item"], vector["kid"])
    assert message.hex() == vector["message_hex"]
    assert message.decode("ascii") == vector["message_ascii"]
    code = sign_item_code(vector["group"], vector["item"], key)
    assert code.signature.hex() == vector["signature_hex"]
    assert code.signature_b32 == vector["signature_b32"]
    assert code.text == vector["code"]
    assert code_url(VECTORS["base_url"], code) == vector["url"]
    assert parse_scanned_text(vector["url"]).code == code
    if "gs1_url" in vector:
        assert (
            gs1_digital_link_url(VECTORS["gs1_base_url"], vector["gtin14"], code)
            == (vector["gs1_url"])
        )


@pytest.mark.parametrize("scan", VECTORS["scans"], ids=lambda s: s["name"])
def test_scan_vector(scan: dict[str, Any]) -> None:
    verifier = Verifier(
        VECTORS["keys"]["jwks"],
        VECTORS["revocations"]["jws"],
        accepted_hosts=VECTORS["accepted_hosts"],
    )
    verdict = verifier.verify(scan["text"])
    assert (verdict.status, verdict.reason) == (scan["status"], scan["reason"])


def test_revocation_vector_verifies_to_its_payload() -> None:
    revocations = load_revocation_list(VECTORS["revocations"]["jws"], VECTORS["keys"]["jwks"])
    assert revocations.to_payload() == VECTORS["revocations"]["payload"]


def test_signed_lookup_vector_verifies_to_its_payload() -> None:
    signed = VECTORS["signed_lookup"]
    assert verify_jws(signed["jws"], VECTORS["keys"]["jwks"]) == signed["payload"]
