"""Base32 as codes use it: RFC 4648 upper case without padding, one text per value."""

from __future__ import annotations

import base64
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traceability.codes.alphabet import BASE32_ALPHABET, b32decode, b32encode

MAX_BYTES = 80
CANONICAL_LENGTHS = {len(b32encode(bytes(n))) for n in range(MAX_BYTES + 1)}


def _reference(text: str) -> bytes | None:
    """The standard library's decoding, or None when `text` is not canonical unpadded base32."""
    try:
        data = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError:
        return None
    return data if base64.b32encode(data).decode("ascii").rstrip("=") == text else None


@pytest.mark.parametrize(
    ("data", "text"),
    [(b"", ""), (b"f", "MY"), (b"fo", "MZXQ"), (b"foo", "MZXW6"), (b"foob", "MZXW6YQ"),
     (b"fooba", "MZXW6YTB"), (b"foobar", "MZXW6YTBOI")],
)  # fmt: skip
def test_encoding_gives_the_rfc_4648_test_vectors_without_padding(data: bytes, text: str) -> None:
    assert b32encode(data) == text


@pytest.mark.parametrize("size", range(MAX_BYTES + 1))
def test_encoding_agrees_with_the_standard_library(size: int) -> None:
    rng = random.Random(size)
    samples = [bytes(size), b"\xff" * size] + [rng.randbytes(size) for _ in range(20)]
    for data in samples:
        assert b32encode(data) == base64.b32encode(data).decode("ascii").rstrip("=")


@pytest.mark.parametrize("size", range(MAX_BYTES + 1))
def test_decoding_agrees_with_the_standard_library(size: int) -> None:
    rng = random.Random(size)
    for _ in range(20):
        data = rng.randbytes(size)
        text = base64.b32encode(data).decode("ascii").rstrip("=")
        assert b32decode(text) == base64.b32decode(base64.b32encode(data)) == data


def test_every_length_that_no_byte_string_encodes_to_is_rejected() -> None:
    invalid = [n for n in range(len(b32encode(bytes(MAX_BYTES))) + 1) if n not in CANONICAL_LENGTHS]
    assert invalid and all(n % 8 in (1, 3, 6) for n in invalid)
    for length in invalid:
        with pytest.raises(ValueError):
            b32decode("A" * length)


@pytest.mark.parametrize("size", [n for n in range(MAX_BYTES + 1) if n % 5])  # spare bits
def test_every_last_character_with_non_zero_spare_bits_is_rejected(size: int) -> None:
    text = b32encode(random.Random(size).randbytes(size))
    spare = len(text) * 5 - size * 8
    assert 0 < spare < 5
    for last in BASE32_ALPHABET:
        candidate = text[:-1] + last
        if BASE32_ALPHABET.index(last) & ((1 << spare) - 1):
            with pytest.raises(ValueError):
                b32decode(candidate)
        else:
            assert b32encode(b32decode(candidate)) == candidate


@pytest.mark.parametrize("letter", [c for c in BASE32_ALPHABET if c.isalpha()])
def test_lower_case_is_rejected_at_this_level(letter: str) -> None:
    """Scanners' case is fixed when scanned text is parsed, not by the decoder."""
    assert b32decode("AAAAAAA" + letter) is not None
    with pytest.raises(ValueError):
        b32decode("AAAAAAA" + letter.lower())
    with pytest.raises(ValueError):
        b32decode(letter.lower() + "AAAAAAA")


@pytest.mark.parametrize(
    "text",
    [
        "MFRGG===",  # padding
        "MFRG G",
        "MFRGG\n",
        "MFRGG0",  # 0, 1, 8, 9 are not base32 digits
        "MFRGG1",
        "MFRGG8",
        "ＭＦＲＧＧ",  # full-width letters
        "MF_RGG",  # int() would accept the underscore
        "+MFRGG",
    ],
)
def test_non_canonical_text_is_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        b32decode(text)


@settings(max_examples=500)
@given(st.text(alphabet=BASE32_ALPHABET + "abv01=_ ", max_size=40))
def test_any_text_decodes_exactly_when_it_is_canonical(text: str) -> None:
    expected = _reference(text)
    if expected is None:
        with pytest.raises(ValueError):
            b32decode(text)
    else:
        assert b32decode(text) == expected
