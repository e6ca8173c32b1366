"""Whole numbers from a query string: ASCII digits within the range, else a bilingual refusal."""

from __future__ import annotations

import pytest

from traceability.errors import ValidationFailed
from traceability.whole_numbers import record_number, whole_number

RANGE = {"low": 1, "high": 50, "default": 5, "field_zh": "抽检数", "field_en": "size", "code": "c"}


@pytest.mark.parametrize(
    ("value", "number"), [(None, 5), ("", 5), ("  ", 5), ("1", 1), (" 50 ", 50)]
)
def test_a_number_in_range_or_nothing_is_taken(value: str | None, number: int) -> None:
    assert whole_number(value, **RANGE) == number  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["0", "51", "-1", "1.5", "abc", "²", "１２", "99999999999999999999"]
)
def test_anything_else_is_refused_naming_the_field_and_the_range(value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        whole_number(value, **RANGE)  # type: ignore[arg-type]
    assert refused.value.message_zh == f"抽检数“{value}”须为 1 至 50 之间的整数。"
    assert refused.value.message_en == f"size “{value}” must be a whole number from 1 to 50."
    assert refused.value.code == "c"


@pytest.mark.parametrize(
    ("value", "number"), [(None, None), (" ", None), ("1", 1), ("2147483647", 2**31 - 1)]
)
def test_a_record_number_is_absent_or_one_an_id_column_holds(
    value: str | None, number: int | None
) -> None:
    assert record_number(value, field_zh="批次编号", field_en="Batch number") == number


@pytest.mark.parametrize("value", ["0", "2147483648", "99999999999999999999", "-3", "²", "x"])
def test_a_record_number_no_id_column_holds_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        record_number(value, field_zh="批次编号", field_en="Batch number")
    assert refused.value.code == "invalid_record_number"
    assert refused.value.message_zh == f"批次编号“{value}”须为 1 至 2147483647 之间的整数。"
