"""Beijing time: what every page, export and deadline means by a time of day or a date.

The database keeps instants in UTC (`UTCDateTime`). The people who read them, farmers at
a kiosk, market staff, township supervisors, consumers, live on China's one time zone
(UTC+8, no daylight saving), and a test done at 09:00 must not read as 01:00 on the page
that lists it. So every time shown to a person, and every "day" a rule counts, is
converted here, in one place.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)
"""Dates a filter may take: long before the first certificates (2016) and far ahead, while
the day before and the day after stay dates Python can hold (year 1 to 9999) in any zone."""
DAY = "%Y-%m-%d"
MINUTES = "%Y-%m-%d %H:%M"
SECONDS = "%Y-%m-%d %H:%M:%S"


def beijing(moment: datetime) -> datetime:
    """The instant on Beijing's clock (a naive value is taken as UTC, as the database's)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(CHINA)


def beijing_date(moment: datetime) -> date:
    """The local calendar day of an instant: a scan at 23:30 UTC is the next day here."""
    return beijing(moment).date()


def day_start(day: date) -> datetime:
    """Local midnight at the start of `day`, as an aware instant."""
    return datetime.combine(day, time(), CHINA)


def format_beijing(moment: datetime | None, pattern: str = MINUTES) -> str:
    """`2026-12-04 16:00`: local time as pages and exports print it; empty for no time."""
    return beijing(moment).strftime(pattern) if moment is not None else ""
