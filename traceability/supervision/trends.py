"""How the overview's figures moved across its period, and against the period before.

A period of up to `WEEKLY_UP_TO` days reads per calendar week (Monday to Sunday), a longer
one per calendar month; the first and last buckets are cut to the period, so they may be
shorter (their days are shown). Buckets are local (Beijing) dates, like the period.

The previous period is the one of equal length that ends the day before this one starts:
its totals set the "vs previous period" change of the headline figures.

Every figure comes from four grouped queries over both periods at once, whatever the
number of buckets or townships: each row is placed in its bucket by a CASE on the bucket
edges (UTC instants of local midnights), so the database does the counting and no query
runs per bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from traceability.beijing_time import CHINA
from traceability.models import Certificate
from traceability.models.compliance import IssueRefusal, RapidTest, TestResult

WEEKLY_UP_TO = 62  # days: about two months read per week; longer periods per month
PREVIOUS = -1  # bucket index of the previous period

TREND_COLUMNS: list[tuple[str, str, str]] = [
    ("certificates", "合格证", "Certificates"),
    ("item_codes", "追溯码", "Item codes"),
    ("issuing_producers", "开证主体", "Producers issuing"),
    ("tests", "快检", "Tests"),
    ("failed_tests", "不合格", "Failed tests"),
    ("refusals", "拦截开证", "Issuing refused"),
    ("revoked", "作废", "Revoked"),
]
TREND_NAMES = tuple(name for name, _zh, _en in TREND_COLUMNS)


@dataclass
class Bucket:
    """The figures of local dates `first`–`last` (both included)."""

    first: date
    last: date
    certificates: int = 0
    item_codes: int = 0
    issuing_producers: int = 0  # producers issuing at least once in these dates
    tests: int = 0
    failed_tests: int = 0
    refusals: int = 0
    revoked: int = 0
    whole: bool = True  # False: a week or month cut short by the period's first or last day
    _issuers: set[int | None] = field(default_factory=set, repr=False)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), CHINA)


@dataclass(frozen=True)
class Change:
    """A headline figure against the previous period: the difference and, when the
    previous period had any, the relative change (0.25: a quarter more)."""

    difference: int
    relative: float | None


@dataclass
class Trend:
    unit: str  # "week" or "month"
    buckets: list[Bucket]
    current: Bucket  # the whole period: a producer issuing in several buckets counts once
    previous: Bucket  # the previous period of equal length

    def change(self, name: str) -> Change:
        now, before = getattr(self.current, name), getattr(self.previous, name)
        return Change(now - before, (now - before) / before if before else None)

    def peak(self, name: str) -> int:
        """The largest bucket's figure, which the page's bars are drawn against."""
        return max((getattr(bucket, name) for bucket in self.buckets), default=0)


def buckets_of(first: date, last: date) -> tuple[str, list[Bucket]]:
    """The weeks or months of `first`–`last`, cut to those dates."""
    unit = "week" if (last - first).days + 1 <= WEEKLY_UP_TO else "month"
    buckets = []
    start = first
    while start <= last:
        if unit == "week":
            first_day = start - timedelta(days=start.weekday())
            end = first_day + timedelta(days=6)
        else:
            first_day = start.replace(day=1)
            following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            end = following - timedelta(days=1)
        whole = start == first_day and end <= last
        buckets.append(Bucket(start, min(end, last), whole=whole))
        start = min(end, last) + timedelta(days=1)
    return unit, buckets


def previous_period(first: date, last: date) -> tuple[date, date]:
    """The period of equal length that ends the day before `first`."""
    return first - (last - first) - timedelta(days=1), first - timedelta(days=1)


def period_trend(
    session: Session, counted: Callable[[int | None, int | None], bool], first: date, last: date
) -> Trend:
    """The trend of the records `counted(producer id, sampling township)` accepts (producer
    None: samples from unknown sellers, placed by the township where they were taken; the
    township counts for tests only), for local dates `first`–`last`."""
    unit, buckets = buckets_of(first, last)
    trend = Trend(unit, buckets, Bucket(first, last), Bucket(*previous_period(first, last)))
    end = datetime.combine(last + timedelta(days=1), time(), CHINA)

    def target(producer_id: int | None, index: int, sampled_in: int | None = None) -> Bucket | None:
        if not counted(producer_id, sampled_in):
            return None
        return trend.previous if index == PREVIOUS else buckets[index]

    def in_both_periods(moment: Any, *columns: Any) -> Any:
        """(producer, bucket index, *columns) of the rows whose `moment` falls in either period."""
        edges = [(col(moment) < buckets[0].start, PREVIOUS)]
        edges += [(col(moment) < b.start, index - 1) for index, b in enumerate(buckets) if index]
        bucket = case(*edges, else_=len(buckets) - 1)
        return (
            select(bucket.label("bucket"), *columns)
            .where(col(moment) >= trend.previous.start, col(moment) < end)
            .subquery()
        )

    issued = in_both_periods(
        Certificate.issued_at,
        col(Certificate.producer_id).label("producer"),
        col(Certificate.item_count).label("item_count"),
    )
    for producer_id, index, certificates, items in session.exec(
        select(
            issued.c.producer,
            issued.c.bucket,
            func.count(),
            func.coalesce(func.sum(issued.c.item_count), 0),
        ).group_by(issued.c.producer, issued.c.bucket)
    ).all():
        if (bucket := target(producer_id, index)) is not None:
            bucket.certificates += int(certificates)
            bucket.item_codes += int(items)
            bucket._issuers.add(producer_id)
    tested = in_both_periods(
        RapidTest.tested_at,
        col(RapidTest.producer_id).label("producer"),
        col(RapidTest.township_id).label("township"),
        col(RapidTest.result).label("result"),
    )
    # sqlalchemy's select: sqlmodel's is typed for at most four columns
    for producer_id, index, sampled_in, result, number in session.execute(
        sa_select(
            tested.c.producer, tested.c.bucket, tested.c.township, tested.c.result, func.count()
        ).group_by(tested.c.producer, tested.c.bucket, tested.c.township, tested.c.result)
    ).all():
        if (bucket := target(producer_id, index, sampled_in)) is not None:
            bucket.tests += int(number)
            if result == TestResult.FAIL:
                bucket.failed_tests += int(number)
    for name, model, moment in (
        ("revoked", Certificate, Certificate.revoked_at),
        ("refusals", IssueRefusal, IssueRefusal.at),
    ):
        rows = in_both_periods(moment, col(model.producer_id).label("producer"))
        for producer_id, index, number in session.exec(
            select(rows.c.producer, rows.c.bucket, func.count()).group_by(
                rows.c.producer, rows.c.bucket
            )
        ).all():
            if (bucket := target(producer_id, index)) is not None:
                setattr(bucket, name, getattr(bucket, name) + int(number))
    return _close(trend)


def _close(trend: Trend) -> Trend:
    """Issuing producers counted, and the period's totals summed from its buckets."""
    for bucket in [*trend.buckets, trend.previous]:
        bucket.issuing_producers = len(bucket._issuers)
    for bucket in trend.buckets:
        for name in TREND_NAMES:
            if name != "issuing_producers":
                setattr(trend.current, name, getattr(trend.current, name) + getattr(bucket, name))
        trend.current._issuers |= bucket._issuers
    trend.current.issuing_producers = len(trend.current._issuers)
    return trend


def bucket_label(bucket: Bucket, unit: str, *, english: bool) -> str:
    """How the export names a bucket: its month, or the Monday its week starts."""
    if unit == "month":
        return (
            f"{bucket.first:%Y-%m}" if english else f"{bucket.first.year}年{bucket.first.month}月"
        )
    return f"week of {bucket.first}" if english else f"{bucket.first} 起一周"


def trend_header(*, english: bool) -> list[str]:
    first = (
        ["Period", "From", "To", "Days"] if english else ["时段", "起始日期", "截止日期", "天数"]
    )
    return first + [en if english else zh for _name, zh, en in TREND_COLUMNS]


def trend_rows(trend: Trend, *, english: bool) -> list[list[Any]]:
    """The trend as exported: a line per bucket, this period, the previous one and the change."""

    def line(label: str, bucket: Bucket) -> list[Any]:
        return [label, str(bucket.first), str(bucket.last), bucket.days] + [
            getattr(bucket, name) for name in TREND_NAMES
        ]

    lines = [line(bucket_label(b, trend.unit, english=english), b) for b in trend.buckets]
    lines.append(line("This period" if english else "本期合计", trend.current))
    lines.append(line("Previous period" if english else "上期", trend.previous))
    changes = [trend.change(name) for name in TREND_NAMES]
    blank = ["", "", ""]
    lines.append(["Change" if english else "较上期增减", *blank] + [c.difference for c in changes])
    lines.append(
        ["Change %" if english else "较上期增减率(%)", *blank]
        + ["" if c.relative is None else round(c.relative * 100, 1) for c in changes]
    )
    return lines
