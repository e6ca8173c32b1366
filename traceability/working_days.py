"""Working days in mainland China: weekends, statutory holidays and make-up working days.

Legal deadlines count working days (工作日): a producer may ask for a re-test within 5
working days of a failed lab result. Each year the State Council moves days around the
holidays, so a Saturday can be a working day (调休) and a Tuesday a holiday; counting
Monday to Friday puts the Spring Festival deadline a week early. `chinesecalendar`
carries the published schedules (2004 up to the year of its latest release; the schedule
for the next year is published each autumn, so keep the package current).

A county need not wait for a package release: the schedule file (`WORKING_DAYS_FILE`,
by default `working_days.csv` in the instance folder, if present) lists a year's
holidays and make-up working days as the State Council published them, and wins for
every year it names. For a year known to neither, Monday to Friday are counted and
`schedule_known` says so: a deadline computed then may come a few days early.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import chinese_calendar

from traceability.config import SettingError

if TYPE_CHECKING:
    from flask import Flask

HOLIDAY_WORDS = {"holiday", "放假", "休息"}
WORKDAY_WORDS = {"workday", "上班", "调休上班", "补班"}


class ScheduleFileError(SettingError):
    """A schedule file that cannot be read as one; the message names the line."""


@dataclass(frozen=True)
class Schedule:
    """Days the State Council moved, for the years a schedule file names (whole years)."""

    working: dict[date, bool] = field(default_factory=dict)  # True: a make-up working day

    @cached_property
    def years(self) -> frozenset[int]:
        return frozenset(day.year for day in self.working)


_file_schedule = Schedule()


def read_schedule(path: Path) -> Schedule:
    """The schedule in a CSV file with the columns `date,kind,note` (note optional).

    `kind` is `holiday` (放假) or `workday` (上班, a make-up working day); every other
    day of a named year is a working day from Monday to Friday.
    """
    working: dict[date, bool] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScheduleFileError(f"{path}: cannot be read ({exc})") from None
    if rows and not {"date", "kind"} <= set(rows[0]):
        raise ScheduleFileError(f"{path}: the first line must name the columns date,kind,note")
    for line, row in enumerate(rows, start=2):
        raw_day, kind = (row.get("date") or "").strip(), (row.get("kind") or "").strip()
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise ScheduleFileError(
                f"{path}:{line}: {raw_day!r} is not a date (YYYY-MM-DD)"
            ) from None
        if kind.lower() in HOLIDAY_WORDS:
            is_working = False
        elif kind.lower() in WORKDAY_WORDS:
            is_working = True
        else:
            raise ScheduleFileError(
                f"{path}:{line}: kind {kind!r} is neither holiday (放假) nor workday (上班)"
            )
        if working.get(day, is_working) != is_working:
            raise ScheduleFileError(f"{path}:{line}: {day} is listed both as holiday and workday")
        working[day] = is_working
    return Schedule(working)


def use_schedule(schedule: Schedule) -> None:
    """Make `schedule` the one every deadline counts with (the app does so at start)."""
    global _file_schedule
    _file_schedule = schedule


def schedule_known(day: date) -> bool:
    """Whether the holiday schedule of `day`'s year is known here."""
    if day.year in _file_schedule.years:
        return True
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    """A working day in mainland China; Monday to Friday for a year not yet published."""
    if day.year in _file_schedule.years:
        return _file_schedule.working.get(day, day.weekday() < 5)
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


def init_app(app: Flask) -> None:
    """Read the schedule file named by `WORKING_DAYS_FILE`, if any; a bad file stops the start."""
    path = app.config.get("WORKING_DAYS_FILE") or ""
    if not path:
        default = Path(app.config["TRACEABILITY_HOME"]) / "working_days.csv"
        path = str(default) if default.is_file() else ""
    use_schedule(read_schedule(Path(path)) if path else Schedule())
