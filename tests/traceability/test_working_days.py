"""Deadlines in working days follow China's published schedule, not Monday to Friday."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from traceability import create_app
from traceability.cli import main
from traceability.working_days import (
    Schedule,
    ScheduleFileError,
    add_working_days,
    is_working_day,
    schedule_known,
    use_schedule,
)


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


# A schedule file, for a year the installed package does not know. 2040's dates below are
# made up for the test (a National Day week with two make-up Saturdays), not a published one.
SCHEDULE_2040 = """date,kind,note
2040-10-01,holiday,国庆节
2040-10-02,放假,国庆节
2040-10-03,holiday,国庆节
2040-10-04,holiday,国庆节
2040-10-05,holiday,国庆节
2040-09-29,workday,国庆节调休
2040-10-06,上班,国庆节调休
"""


@pytest.fixture
def no_schedule_file() -> Iterator[None]:
    yield
    use_schedule(Schedule())


@pytest.fixture
def schedule_2040(tmp_path: Path) -> Path:
    path = tmp_path / "2040.csv"
    path.write_text(SCHEDULE_2040, encoding="utf-8")
    return path


def _app_with(tmp_path: Path, **config: str) -> Flask:
    return create_app(
        {"TRACEABILITY_HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/t.db", **config}
    )


def test_a_schedule_file_makes_a_year_known_and_deadlines_follow_it(
    tmp_path: Path, schedule_2040: Path, no_schedule_file: None
) -> None:
    _app_with(tmp_path, WORKING_DAYS_FILE=str(schedule_2040))
    assert schedule_known(date(2040, 10, 1))
    assert not is_working_day(date(2040, 10, 1))  # a Monday, National Day
    assert is_working_day(date(2040, 10, 6))  # a Saturday, made a working day
    assert is_working_day(date(2040, 10, 8))  # an ordinary Monday of a named year
    # Friday 28 Sep: Sat 29 (make-up), the holiday to Fri 5 Oct, Sat 6, Mon 8, Tue 9, Wed 10
    assert add_working_days(date(2040, 9, 28), 5) == date(2040, 10, 10)
    assert not schedule_known(date(2041, 1, 1))  # the file names 2040 only


def test_the_schedule_file_in_the_instance_folder_is_read_without_a_setting(
    tmp_path: Path, no_schedule_file: None
) -> None:
    (tmp_path / "working_days.csv").write_text(SCHEDULE_2040, encoding="utf-8")
    _app_with(tmp_path)
    assert schedule_known(date(2040, 10, 1)) and not is_working_day(date(2040, 10, 2))


def test_an_app_without_a_schedule_file_counts_as_the_package_does(
    tmp_path: Path, schedule_2040: Path, no_schedule_file: None
) -> None:
    _app_with(tmp_path, WORKING_DAYS_FILE=str(schedule_2040))
    _app_with(tmp_path / "other")  # another app, with no file: nothing left over
    assert not schedule_known(date(2040, 10, 1))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("date,kind\n2040-10-01,holiday\n2040-13-01,holiday\n", ":3: '2040-13-01' is not a date"),
        ("date,kind\n2040-10-01,vacation\n", ":2: kind 'vacation' is neither holiday"),
        ("date,kind\n2040-10-01,holiday\n2040-10-01,workday\n", "both as holiday and workday"),
        ("day,what\n2040-10-01,holiday\n", "must name the columns date,kind,note"),
    ],
)
def test_a_bad_schedule_file_stops_the_start_and_names_the_line(
    tmp_path: Path, no_schedule_file: None, content: str, says: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScheduleFileError, match=re.escape(says)):
        _app_with(tmp_path, WORKING_DAYS_FILE=str(path))


def test_a_named_schedule_file_that_is_missing_stops_the_start(
    tmp_path: Path, no_schedule_file: None
) -> None:
    with pytest.raises(ScheduleFileError, match="cannot be read"):
        _app_with(tmp_path, WORKING_DAYS_FILE=str(tmp_path / "absent.csv"))


def test_a_command_with_a_bad_schedule_file_says_which_line_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_schedule_file: None
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,kind\n2040-10-01,vacation\n", encoding="utf-8")
    monkeypatch.setenv("TRACEABILITY_HOME", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    monkeypatch.setenv("WORKING_DAYS_FILE", str(path))
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 1
    assert "节假日安排文件有误" in result.output and f"{path}:2: kind 'vacation'" in result.output
    assert "Traceback" not in result.output
