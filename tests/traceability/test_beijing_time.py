"""Every time a person reads is on Beijing's clock; the database keeps UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from traceability.beijing_time import SECONDS, beijing_date, day_start, format_beijing


def test_an_instant_prints_eight_hours_ahead_of_utc_and_may_change_the_day() -> None:
    evening = datetime(2026, 12, 4, 17, 30, 5, tzinfo=UTC)
    assert format_beijing(evening) == "2026-12-05 01:30"
    assert format_beijing(evening, SECONDS) == "2026-12-05 01:30:05"
    assert beijing_date(evening) == date(2026, 12, 5)


def test_a_naive_time_from_the_database_is_taken_as_utc() -> None:
    assert format_beijing(datetime(2026, 12, 4, 1, 0)) == "2026-12-04 09:00"


def test_no_time_prints_nothing() -> None:
    assert format_beijing(None) == ""


def test_a_local_day_starts_at_sixteen_hundred_utc_the_day_before() -> None:
    assert day_start(date(2026, 12, 5)).astimezone(UTC) == datetime(2026, 12, 4, 16, tzinfo=UTC)
