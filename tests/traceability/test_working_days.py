"""Deadlines in working days follow China's published schedule, not Monday to Friday."""

from __future__ import annotations

from datetime import date

import pytest

from traceability.working_days import add_working_days, is_working_day, schedule_known


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 14), True),  # Saturday, made a working day for the Spring Festival
        (date(2026, 2, 16), False),  # Monday inside the Spring Festival holiday
        (date(2026, 2, 24), True),  # the first day back
        (date(2026, 10, 1), False),  # National Day, a Thursday
        (date(2026, 10, 10), True),  # Saturday, made a working day for National Day
        (date(2026, 12, 5), False),  # an ordinary Saturday
        (date(2026, 12, 7), True),  # an ordinary Monday
    ],
)
def test_the_2026_schedule_moves_days_around_the_holidays(day: date, working: bool) -> None:
    assert schedule_known(day)
    assert is_working_day(day) is working


def test_five_working_days_across_the_spring_festival_take_two_weeks() -> None:
    # Friday 13 Feb: Sat 14 (make-up day), then the holiday to Mon 23, then Tue 24 to Fri 27
    assert add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    assert add_working_days(date(2026, 12, 4), 5) == date(2026, 12, 11)  # an ordinary week


def test_a_year_not_yet_published_counts_monday_to_friday() -> None:
    assert not schedule_known(date(2040, 10, 1))
    assert is_working_day(date(2040, 10, 1))  # a Monday; its National Day is not known here
    assert not is_working_day(date(2040, 10, 6))  # a Saturday
    assert add_working_days(date(2040, 10, 5), 5) == date(2040, 10, 12)


def test_counting_zero_working_days_is_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 12, 4), 0)
