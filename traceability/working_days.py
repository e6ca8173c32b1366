"""Working days in mainland China: weekends, statutory holidays and make-up working days.

Legal deadlines count working days (工作日): a producer may ask for a re-test within 5
working days of a failed lab result. Each year the State Council moves days around the
holidays, so a Saturday can be a working day (调休) and a Tuesday a holiday; counting
Monday to Friday puts the Spring Festival deadline a week early. `chinesecalendar`
carries the published schedules (2004 up to the year of its latest release; the schedule
for the next year is published each autumn, so keep the package current).

For a year the package does not know yet, Monday to Friday are counted and
`schedule_known` says so: a deadline computed then may come a few days early, never late
for a producer who counts the same way the week shows.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


def schedule_known(day: date) -> bool:
    """Whether the holiday schedule of `day`'s year is known here."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    """A working day in mainland China; Monday to Friday for a year not yet published."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(day: date, count: int) -> date:
    """The `count`-th working day after `day` (`day` itself is not counted)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    while count:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
