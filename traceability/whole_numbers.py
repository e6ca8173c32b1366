"""Whole numbers typed into a query string (a page size, a number of days), refused alike.

Only ASCII digits count: "²" passes `str.isdigit()` and "１２" (full width) `isdecimal()`,
and neither is what a supervisor meant by a number here. The refusal names the field, the
value and the range, in Chinese and English.
"""

from __future__ import annotations

from traceability.errors import ValidationFailed

# the largest number an `integer` id column holds on PostgreSQL: every record a person
# names by number (producer, batch, market, case, test, township...) has one. A larger
# number names nothing; on PostgreSQL it cannot even be compared with the column (a
# database error, SQLSTATE 22003), and past 2**63 - 1 SQLite cannot bind it either, so it
# is refused before any query, alike on both. (Only item codes and scans have bigint ids,
# and nobody types those.)
MAX_INTEGER_ID = 2**31 - 1


def whole_number(
    value: str | None,
    *,
    low: int,
    high: int,
    default: int,
    field_zh: str,
    field_en: str,
    code: str,
) -> int:
    """`value` as a whole number from `low` to `high`; `default` when absent or blank."""
    if value is None or not value.strip():
        return default
    text = value.strip()
    number = int(text) if text.isascii() and text.isdecimal() else low - 1
    if not low <= number <= high:
        raise ValidationFailed(
            f"{field_zh}“{value}”须为 {low} 至 {high} 之间的整数。",
            f"{field_en} “{value}” must be a whole number from {low} to {high}.",
            code=code,
        )
    return number


def record_number(value: str | None, *, field_zh: str, field_en: str) -> int | None:
    """A record's number from a query string (``?producer_id=``); None when absent or blank.

    Anything but 1 to `MAX_INTEGER_ID` is refused with a 422 naming the field, the same on
    both databases (PostgreSQL would refuse a larger number for its column instead).
    """
    if value is None or not value.strip():
        return None
    return whole_number(
        value,
        low=1,
        high=MAX_INTEGER_ID,
        default=0,
        field_zh=field_zh,
        field_en=field_en,
        code="invalid_record_number",
    )
