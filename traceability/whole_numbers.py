"""Whole numbers typed into a query string (a page size, a number of days), refused alike.

Only ASCII digits count: "²" passes `str.isdigit()` and "１２" (full width) `isdecimal()`,
and neither is what a supervisor meant by a number here. The refusal names the field, the
value and the range, in Chinese and English.
"""

from __future__ import annotations

from traceability.errors import ValidationFailed

# the largest record number a database here stores (SQLite's integers, PostgreSQL's
# bigint): a larger one in a URL or a form names nothing and cannot even be bound
MAX_RECORD_NUMBER = 2**63 - 1
# the largest number an `integer` id column holds on PostgreSQL (most tables' ids and
# their foreign keys, e.g. batch and producer): a larger one fails there as a database error
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
