"""The code layout, its canonical encoding and bulk signing."""

from __future__ import annotations

import os

import pytest

from traceability.codes import (
    CODE_LENGTH,
    ItemCode,
    ScanError,
    SigningKey,
    new_group_code,
    new_item_serial,
    parse_code,
    sign_item_code,
    sign_item_codes,
)
from traceability.codes.alphabet import b32decode, b32encode, b64url_decode, b64url_encode


def test_code_text_has_the_documented_layout(code: ItemCode) -> None:
    assert len(code.text) == CODE_LENGTH == 135
    serial, kid, sig = code.text.split(".")
    assert (len(serial), len(kid), len(sig)) == (26, 4, 103)
    assert serial == code.serial == code.group + code.item


def test_parse_code_round_trips_and_ignores_case(code: ItemCode) -> None:
    assert parse_code(code.text) == code
    assert parse_code(code.text.lower()) == code


def test_non_canonical_signature_pad_bits_are_rejected(code: ItemCode) -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    last = code.text[-1]
    for pad in range(1, 8):
        other = alphabet[alphabet.index(last) | pad]
        with pytest.raises(ScanError) as err:
            parse_code(code.text[:-1] + other)
        assert err.value.code == "non_canonical"


def test_non_ascii_that_upper_cases_to_ascii_is_malformed(code: ItemCode) -> None:
    text = code.text.replace("I", "ı", 1)  # dotless i upper-cases to I
    with pytest.raises(ScanError) as err:
        parse_code(text)
    assert err.value.code == "malformed"


def test_random_parts_have_the_documented_sizes() -> None:
    assert len(new_group_code()) == 10
    serials = {new_item_serial() for _ in range(1000)}
    assert len(serials) == 1000
    assert all(len(b32decode(s)) == 10 for s in serials)  # exactly 80 bits each


def test_bulk_signing_gives_distinct_valid_codes(key: SigningKey) -> None:
    codes = list(sign_item_codes("DEMOGROUPA", 500, key))
    assert len({c.serial for c in codes}) == 500
    assert all(key.public.verify(c.message, c.signature) for c in codes)


def test_ten_thousand_codes_in_one_run_are_distinct(key: SigningKey) -> None:
    """Speed is measured in bench/, never asserted here."""
    codes = list(sign_item_codes(new_group_code(), 10_000, key))
    assert len({c.serial for c in codes}) == 10_000


@pytest.mark.parametrize("count", [0, 1, 999, 1000, 1001, 2500])
def test_a_run_yields_exactly_the_codes_asked_for_across_randomness_batches(
    key: SigningKey, count: int
) -> None:
    codes = list(sign_item_codes("DEMOGROUPA", count, key))
    assert len(codes) == len({c.serial for c in codes}) == count
    assert all(len(b32decode(c.item)) == 10 for c in codes)


def test_an_item_number_the_random_source_repeats_is_drawn_again(
    key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never a duplicate serial, and never fewer codes than asked for."""
    draws: list[int] = []

    def repeating(size: int) -> bytes:
        draws.append(size)
        if len(draws) == 1:
            return bytes(10) * (size // 10)  # every item number in the first batch the same
        return os.urandom(size)

    monkeypatch.setattr("traceability.codes.format.secrets.token_bytes", repeating)
    codes = list(sign_item_codes("DEMOGROUPA", 5, key))

    assert len({c.serial for c in codes}) == 5
    assert codes[0].item == "A" * 16
    assert draws == [50, 40]


def test_signing_rejects_parts_outside_the_alphabet(key: SigningKey) -> None:
    with pytest.raises(ScanError):
        sign_item_code("DEMOGROUP0", "ITEMSERIAL234567", key)
    with pytest.raises(ScanError):
        list(sign_item_codes("short", 1, key))


@pytest.mark.parametrize("size", range(0, 70))
def test_base32_and_base64url_round_trip(size: int) -> None:
    data = bytes(range(size))
    assert b32decode(b32encode(data)) == data
    assert b64url_decode(b64url_encode(data)) == data
