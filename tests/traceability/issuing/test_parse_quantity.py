"""A producer's quantity: digits with an optional decimal point, refused with the right reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from traceability.errors import ValidationFailed
from traceability.issuing.service import parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.5", "12.5"),
        ("12", "12"),
        ("0.125", "0.125"),
        (" 3.0 ", "3.0"),
        ("9999999999", "9999999999"),
    ],
)
def test_digits_with_an_optional_decimal_point_are_a_quantity(text: str, value: str) -> None:
    assert parse_quantity(text) == Decimal(value)


@pytest.mark.parametrize(
    "text", ["1e5", "1E5", "1e999999", "NaN", "Infinity", "-5", "+5", "1.2.3", "12kg", "", "."]
)
def test_anything_else_is_not_a_number_a_person_typed(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_quantity(text)
    assert refused.value.code == "invalid_quantity"
    assert "只能是数字" in refused.value.message_zh and "digits" in refused.value.message_en


def test_a_quantity_too_large_says_so_not_greater_than_zero() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_quantity("99999999999")
    assert "太大" in refused.value.message_zh and "too large" in refused.value.message_en


def test_zero_is_refused_as_not_greater_than_zero() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_quantity("0.000")
    assert "大于 0" in refused.value.message_zh


def test_a_long_string_of_digits_is_refused_without_reading_it_all() -> None:
    with pytest.raises(ValidationFailed):
        parse_quantity("1" * 1_000_000)


def test_numbers_from_the_api_and_the_database_still_count() -> None:
    assert parse_quantity(12) == Decimal(12)
    assert parse_quantity(Decimal("12.500")) == Decimal("12.500")
    assert parse_quantity(12.5) == Decimal("12.5")
