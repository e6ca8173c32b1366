"""Command-line values refused as the pages refuse them: one line, Chinese and English.

Click's own `int` takes 20 digits and `str` takes "2026-13-01"; a record number past what
the database stores or a date that does not exist then fails deep inside as a traceback.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from traceability.whole_numbers import MAX_INTEGER_ID


class RecordId(click.ParamType):
    """A record's number: a whole number from 1 to the largest an id column holds on both
    databases (PostgreSQL's `integer`)."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
        else:
            text = str(value).strip()
        number = int(text) if text.isascii() and text.isdecimal() else 0
        if not 1 <= number <= MAX_INTEGER_ID:
            self.fail(
                f"编号“{value}”须为 1 至 {MAX_INTEGER_ID} 之间的整数 / "
                f"{value!r} must be a whole number from 1 to {MAX_INTEGER_ID}",
                param,
                ctx,
            )
        return number


class IsoDate(click.ParamType):
    """A calendar day written YYYY-MM-DD (a day that exists)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            if len(text) != 10 or not text.isascii():
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            self.fail(
                f"日期“{value}”无效，须为存在的日期，格式 YYYY-MM-DD / "
                f"{value!r} is not a date: give a day that exists, as YYYY-MM-DD",
                param,
                ctx,
            )


RECORD_ID = RecordId()
ISO_DATE = IsoDate()
