"""Offline verification: verdicts, every single-character change, foreign keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.codes import (
    CompromisedKey,
    ItemCode,
    JwsError,
    RevokedGroup,
    RevokedItem,
    SigningKey,
    Verifier,
    build_revocation_list,
    code_url,
    gs1_digital_link_url,
    jwk_set,
    sign_item_code,
    sign_revocation_list,
    verify_offline,
)
from traceability.codes.alphabet import BASE32_ALPHABET, b32encode

BASE = "http://127.0.0.1:8000"
HOSTS = ["127.0.0.1:8000"]
URL_CHARS = BASE32_ALPHABET + "abcz01890:/.?=&%#@-_ \t\r\n"


def _is_case_change(original: str, changed: str) -> bool:
    return original != changed and original.upper() == changed.upper()


def test_genuine_in_every_form(verifier: Verifier, code: ItemCode) -> None:
    for text in (
        code.text,
        code_url(BASE, code),
        code_url(BASE, code).lower() + "\r\n",
        gs1_digital_link_url(BASE, "6901234567892", code),
    ):
        verdict = verifier.verify(text)
        assert verdict.genuine, text
        assert verdict.code == code
        assert verdict.message_zh.startswith("真品")


def test_single_character_substitutions_of_the_code_never_read_genuine(
    verifier: Verifier, code: ItemCode
) -> None:
    text = code.text
    for position, original in enumerate(text):
        for substitute in BASE32_ALPHABET + ".":
            if substitute == original:
                continue
            changed = text[:position] + substitute + text[position + 1 :]
            assert verifier.verify(changed).status != "genuine", (position, substitute)


def test_single_character_substitutions_of_the_url_never_read_genuine(
    verifier: Verifier, code: ItemCode
) -> None:
    url = code_url(BASE, code)
    for position, original in enumerate(url):
        for substitute in URL_CHARS:
            changed = url[:position] + substitute + url[position + 1 :]
            if substitute == original or _is_case_change(url, changed):
                continue
            assert verifier.verify(changed).status != "genuine", (position, substitute)


def test_single_character_substitutions_of_the_gs1_url_never_read_genuine(
    verifier: Verifier, code: ItemCode
) -> None:
    url = gs1_digital_link_url(BASE, "6901234567892", code)
    # Everything up to the kid is case-insensitive; the base64url signature is not.
    case_blind = url.index("8030=") + len("8030=") + 4
    for position, original in enumerate(url):
        for substitute in URL_CHARS:
            changed = url[:position] + substitute + url[position + 1 :]
            if substitute == original or (position < case_blind and _is_case_change(url, changed)):
                continue
            assert verifier.verify(changed).status != "genuine", (position, substitute)


@given(st.data())
def test_any_single_character_change_is_not_genuine(
    verifier: Verifier, code: ItemCode, data: st.DataObject
) -> None:
    url = code_url(BASE, code)
    position = data.draw(st.integers(0, len(url) - 1))
    substitute = data.draw(st.characters())
    changed = url[:position] + substitute + url[position + 1 :]
    if changed == url or _is_case_change(url, changed):
        return
    assert not verifier.verify(changed).genuine


@given(st.text(max_size=700))
def test_verifier_never_raises(verifier: Verifier, text: str) -> None:
    assert verifier.verify(text).status != "genuine"


def test_code_signed_by_a_foreign_key_is_unknown_key(
    verifier: Verifier, foreign_key: SigningKey
) -> None:
    forged = sign_item_code("DEMOGROUPA", "ITEMSERIAL234567", foreign_key)
    verdict = verifier.verify(code_url(BASE, forged))
    assert verdict.status == (
        "not_genuine" if forged.kid == verifier_kid(verifier) else "unknown_key"
    )


def verifier_kid(verifier: Verifier) -> str:
    return next(iter(verifier.keys)).kid


def test_foreign_signature_under_our_kid_is_not_genuine(
    verifier: Verifier, code: ItemCode, foreign_key: SigningKey
) -> None:
    forged_sig = b32encode(foreign_key.sign(code.message))
    verdict = verifier.verify(f"{code.serial}.{code.kid}.{forged_sig}")
    assert (verdict.status, verdict.reason) == ("not_genuine", "bad_signature")


@given(st.lists(st.sampled_from(BASE32_ALPHABET), min_size=16, max_size=16))
def test_guessed_serials_with_a_copied_signature_are_not_genuine(
    verifier: Verifier, code: ItemCode, item: list[str]
) -> None:
    guess = "".join(item)
    if guess == code.item:
        return
    verdict = verifier.verify(f"{code.group}{guess}.{code.kid}.{code.signature_b32}")
    assert verdict.status == "not_genuine"


def _revocations(key: SigningKey, compromised: SigningKey) -> str:
    revocations = build_revocation_list(
        3,
        issued_at=datetime(2026, 3, 2, tzinfo=UTC),
        revoked_groups=[RevokedGroup("REVOKEDGRP", "抽检不合格", "2026-03-01T00:00:00Z")],
        revoked_items=[RevokedItem("DEMOGROUPAITEMSERIAL765432", "错印", "2026-03-01T00:00:00Z")],
        compromised_keys=[CompromisedKey(compromised.kid, "2026-03-01T00:00:00Z", ("OLDGROUPAA",))],
    )
    return sign_revocation_list(revocations, key)


def test_revocations_and_compromised_keys(key: SigningKey, foreign_key: SigningKey) -> None:
    jwks = jwk_set([key, foreign_key])
    verifier = Verifier(jwks, _revocations(key, foreign_key))

    def status(group: str, item: str, signer: SigningKey) -> tuple[str, str | None]:
        verdict = verifier.verify(sign_item_code(group, item, signer).text)
        return verdict.status, verdict.reason

    assert status("DEMOGROUPA", "ITEMSERIAL234567", key) == ("genuine", None)
    assert status("DEMOGROUPA", "ITEMSERIAL765432", key) == ("revoked", "错印")
    assert status("REVOKEDGRP", "ITEMSERIAL234567", key) == ("revoked", "抽检不合格")
    assert status("OLDGROUPAA", "ITEMSERIAL234567", foreign_key) == ("genuine", None)
    assert status("NEWGROUPAA", "ITEMSERIAL234567", foreign_key) == (
        "key_compromised",
        "key_compromised",
    )


def test_revoked_verdict_carries_reason_and_date(key: SigningKey, foreign_key: SigningKey) -> None:
    text = sign_item_code("REVOKEDGRP", "AAAAAAAAAAAAAAAA", key).text
    verdict = verify_offline(text, jwk_set([key]), _revocations(key, foreign_key))
    assert verdict.at == "2026-03-01T00:00:00Z"
    assert verdict.message_zh.startswith("已撤销")
    data = verdict.to_dict()
    assert data["status"] == "revoked"
    assert data["serial"] == "REVOKEDGRPAAAAAAAAAAAAAAAA"


def test_revocation_list_signed_by_an_unpublished_key_is_refused(
    key: SigningKey, foreign_key: SigningKey
) -> None:
    with pytest.raises(JwsError):
        Verifier(jwk_set([key]), _revocations(foreign_key, foreign_key))


def test_malformed_verdict_explains_itself(verifier: Verifier) -> None:
    verdict = verifier.verify("https://evil.example/C/ABC")
    assert (verdict.status, verdict.reason) == ("malformed", "wrong_host")
    assert verdict.message_zh and verdict.message_en
    assert verdict.to_dict()["serial"] is None


_DIGITS = str.maketrans("0123456789", "ABCDEFGHIJ")
