"""What a supervisor follows per township: issuing, rapid tests and failures (检打联动).

One row per township in the supervisor's scope over a period of local (Beijing) dates:
how many of the registered producers issued certificates (开证率), certificates and item
codes issued, certificates revoked, rapid tests and failures, issues the gate refused,
and the 检打联动 cases still open today, with those whose re-test window has closed
without anyone starting the investigation (the supervisor's next move). Rows are folded
from a handful of grouped queries, whatever the number of producers, so the page costs
the same for a county of ten townships as for one.

Records of producers registered at county level (no township), and tests of samples
from unknown sellers taken in no known township, are county business: they get a row of
their own, shown only to county-level roles, so the totals add up to everything the county
holds. An unknown seller's test that names the township where it was sampled
(`rapid_test.township_id`) counts in that township's row, as its case does.

A township's row opens into the same figures per producer (`producer_overview`): the
producers that did not issue in the period are whom a supervisor visits next, and a
producer with a failed test or an overdue case is where a 检打联动 case stands.

Either table carries each producer's credit grade (compliance/credit.py, as of today from
its last 365 days; one batched grading for the whole table), a township's row how many of
its producers hold each grade, and the trend of the same scope across the period
(trends.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from traceability.beijing_time import CHINA, EARLIEST_DAY, LATEST_DAY
from traceability.compliance.cases import current_deadline
from traceability.compliance.credit import GRADE_ZH, CreditGrade, credit_grades
from traceability.db import record_by_id
from traceability.errors import NotFound, ValidationFailed
from traceability.models import Certificate, Producer, ProducerStatus, Region, RegionLevel
from traceability.models.compliance import (
    CaseState,
    ComplianceCase,
    IssueRefusal,
    RapidTest,
    TestResult,
)
from traceability.supervision.trends import Trend, period_trend

DEFAULT_DAYS = 30
MAX_DAYS = 366 * 3  # the ledger keeps two years; three bound a mistyped year
COUNTY_ROW = None  # township key of the county's own row
RowOf = Callable[[int | None, int | None], "Figures | None"]
"""The row a record counts in, from its producer and, for an unknown seller's sample (no
producer), the township where it was taken."""
GRADES = tuple(GRADE_ZH)  # A B C D, best first
GRADE_EN = {"A": "excellent", "B": "good", "C": "warning", "D": "seriously untrustworthy"}


@dataclass(frozen=True)
class Period:
    """Local dates, both included; `bounds` are the UTC instants the queries compare with."""

    first: date
    last: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time(), CHINA)
        end = datetime.combine(self.last + timedelta(days=1), time(), CHINA)
        return start, end

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def parse_period(first: str | None, last: str | None, today: date) -> Period:
    """The period from `from`/`to` query values (YYYY-MM-DD); the last 30 days by default."""
    end = parse_day(last, "to", "截止日期") if last else today
    start = (
        parse_day(first, "from", "起始日期") if first else end - timedelta(days=DEFAULT_DAYS - 1)
    )
    if start > end:
        raise ValidationFailed(
            f"起始日期 {start} 晚于截止日期 {end}，请交换后重试。",
            f"The start date {start} is after the end date {end}; swap them.",
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            f"统计时段最长 {MAX_DAYS} 天，请缩短时段。",
            f"A period can be at most {MAX_DAYS} days long; shorten it.",
        )
    return Period(start, end)


def parse_day(value: str, name: str, name_zh: str) -> date:
    """A YYYY-MM-DD query value within the dates one can look up, or a 422 naming it."""
    try:
        found = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            f"{name_zh}“{value}”不是有效日期，请按 2026-01-31 的格式填写。",
            f"{name} “{value}” is not a date; write it as 2026-01-31.",
        ) from None
    if not EARLIEST_DAY <= found <= LATEST_DAY:
        raise ValidationFailed(
            f"{name_zh} {found} 超出可查询的日期范围（{EARLIEST_DAY} 至 {LATEST_DAY}）。",
            f"{name} {found} is outside the dates one can look up "
            f"({EARLIEST_DAY} to {LATEST_DAY}).",
        )
    return found


@dataclass
class Figures:
    """One row: a township (`key` its id; None: the county's own row, see the module
    docstring) or, in a township's drill-down, a producer (`key` its id; None: samples
    from unknown sellers)."""

    key: int | None
    code: str
    name: str
    suspended: bool = False  # producer rows: registration suspended
    producers: int = 0  # registered, active or not: a suspended one still counts as not issuing
    issuing_producers: int = 0
    certificates: int = 0
    item_codes: int = 0
    revoked: int = 0
    tests: int = 0
    failed_tests: int = 0
    refusals: int = 0
    open_cases: int = 0
    awaiting_investigation: int = 0  # still in disposal though the re-test window closed
    grades: Counter[str] = field(default_factory=Counter)  # producers per credit grade, today
    grade: CreditGrade | None = None  # producer rows: the producer's own grade

    @property
    def lowest_grades(self) -> int:
        """Producers graded C (warning) or D (seriously untrustworthy): sampled more often."""
        return self.grades["C"] + self.grades["D"]

    @property
    def coverage(self) -> float | None:
        """Share of registered producers that issued in the period (开证率)."""
        return self.issuing_producers / self.producers if self.producers else None

    def add(self, other: Figures) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.grades.update(other.grades)


COUNTS = (
    "producers",
    "issuing_producers",
    "certificates",
    "item_codes",
    "revoked",
    "tests",
    "failed_tests",
    "refusals",
    "open_cases",
    "awaiting_investigation",
)


@dataclass
class Overview:
    period: Period
    rows: list[Figures] = field(default_factory=list)
    total: Figures = field(default_factory=lambda: Figures(None, "", "合计"))
    township: Region | None = None  # a township's drill-down: that township
    county_level: bool = False  # the drill-down of the county's own row
    trend: Trend | None = None  # the same scope per week or month, and the previous period

    @property
    def per_producer(self) -> bool:
        return self.township is not None or self.county_level

    def close(self) -> Overview:
        for figures in self.rows:
            self.total.add(figures)
        return self


def township_overview(
    session: Session, scope: set[int] | None, period: Period, *, now: datetime
) -> Overview:
    """Figures per township in `scope` (None: the whole county, with the county's own row)."""
    townships = townships_in_scope(session, scope)
    producer_township = producer_townships(session)
    rows: dict[int | None, Figures] = {t.id: Figures(t.id, t.code, t.name) for t in townships}
    if scope is None:
        rows[COUNTY_ROW] = Figures(COUNTY_ROW, "", "县级及未关联乡镇")

    def row(producer_id: int | None, sampled_in: int | None = None) -> Figures | None:
        if producer_id is not None:
            return rows.get(producer_township.get(producer_id))
        # an unknown seller's sample: the township where it was taken, else the county's row
        return rows.get(sampled_in) if sampled_in in rows else rows.get(COUNTY_ROW)

    for producer_id in producer_township:
        if (target := row(producer_id)) is not None:
            target.producers += 1
    _fold(session, row, period, now)
    _grade(session, row, producer_township, now)
    overview = Overview(period, [rows[t.id] for t in townships])
    if COUNTY_ROW in rows:
        overview.rows.append(rows[COUNTY_ROW])
    overview.trend = _trend(session, row, period)
    return overview.close()


def producer_overview(
    session: Session,
    township_id: int | None,
    scope: set[int] | None,
    period: Period,
    *,
    now: datetime,
) -> Overview:
    """One township's figures per producer (`township_id` None: the county's own row).

    Outside `scope` the township is not found, as any record a supervisor may not read;
    the county's own row opens only for county-level roles (`scope` None).
    """
    township: Region | None = None
    if township_id is None:
        if scope is not None:
            raise township_not_found()
    else:
        township = record_by_id(session, Region, township_id)
        if (
            township is None
            or township.level != RegionLevel.TOWNSHIP
            or (scope is not None and township_id not in scope)
        ):
            raise township_not_found()
    mine = {p for p, t in producer_townships(session).items() if t == township_id}
    producers = session.exec(
        select(Producer).where(col(Producer.id).in_(mine or {-1})).order_by(col(Producer.name))
    ).all()
    rows: dict[int | None, Figures] = {
        p.id: Figures(
            p.id, p.uscc or "", p.name, suspended=p.status == ProducerStatus.SUSPENDED, producers=1
        )
        for p in producers
    }
    rows[None] = Figures(None, "", "来源不明的抽检")  # tests of unknown sellers sampled here
    current = {t.id for t in townships_in_scope(session, None)}

    def row(producer_id: int | None, sampled_in: int | None = None) -> Figures | None:
        if producer_id is not None:
            return rows.get(producer_id)
        here = sampled_in if sampled_in in current else COUNTY_ROW
        return rows[None] if here == township_id else None

    _fold(session, row, period, now)
    for producer_id, grade in _grade(session, rows.get, mine, now).items():
        rows[producer_id].grade = grade
    if township_id is not None and not any(getattr(rows[None], n) for n in COUNTS):
        del rows[None]  # a township's drill-down names unknown sellers only when it has some
    overview = Overview(period, list(rows.values()), township=township)
    overview.county_level = township_id is None
    overview.trend = _trend(session, row, period)
    return overview.close()


def township_not_found() -> NotFound:
    return NotFound("没有找到这个乡镇，或不在您的辖区内。", "No such township in your area.")


def _fold(session: Session, row: RowOf, period: Period, now: datetime) -> None:
    """Add the period's records, counted per producer (an unknown seller's tests and cases
    per sampling township), to the row `row(producer id, township)` names."""
    start, end = period.bounds
    issued = session.exec(
        select(
            col(Certificate.producer_id),
            func.count(),
            func.coalesce(func.sum(col(Certificate.item_count)), 0),
        )
        .where(col(Certificate.issued_at) >= start, col(Certificate.issued_at) < end)
        .group_by(col(Certificate.producer_id))
    ).all()
    for producer_id, certificates, items in issued:
        if (target := row(producer_id, None)) is not None:
            target.issuing_producers += 1
            target.certificates += int(certificates)
            target.item_codes += int(items)
    _add(row, "revoked", _counts(session, Certificate.producer_id, Certificate.revoked_at, period))
    tests = session.exec(
        select(
            col(RapidTest.producer_id),
            col(RapidTest.township_id),
            col(RapidTest.result),
            func.count(),
        )
        .where(col(RapidTest.tested_at) >= start, col(RapidTest.tested_at) < end)
        .group_by(col(RapidTest.producer_id), col(RapidTest.township_id), col(RapidTest.result))
    ).all()
    for tested, sampled_in, result, number in tests:  # producer None: an unknown seller
        if (target := row(tested, sampled_in)) is not None:
            target.tests += int(number)
            if result == TestResult.FAIL:
                target.failed_tests += int(number)
    _add(row, "refusals", _counts(session, IssueRefusal.producer_id, IssueRefusal.at, period))
    open_cases = session.exec(
        select(ComplianceCase, RapidTest)
        .join(RapidTest, col(RapidTest.id) == ComplianceCase.test_id, isouter=True)
        .where(col(ComplianceCase.state) != CaseState.CLOSED)
    ).all()
    for case, test in open_cases:
        sampled_in = test.township_id if test is not None else None
        if (target := row(case.producer_id, sampled_in)) is not None:
            target.open_cases += 1
            if case.state == CaseState.DISPOSAL and current_deadline(case, test) < now:
                target.awaiting_investigation += 1


def _grade(
    session: Session,
    row: Callable[[int | None], Figures | None],
    producers: Any,
    now: datetime,
) -> dict[int, CreditGrade]:
    """Grade the `producers` that have a row, in one batched call, and count them there."""
    graded = credit_grades(
        session, [p for p in producers if p is not None and row(p) is not None], now=now
    )
    for producer_id, grade in graded.items():
        target = row(producer_id)
        assert target is not None
        target.grades[grade.grade] += 1
    return graded


def _trend(session: Session, row: RowOf, period: Period) -> Trend:
    return period_trend(
        session,
        lambda producer, sampled_in: row(producer, sampled_in) is not None,
        period.first,
        period.last,
    )


def _counts(session: Session, producer: Any, moment: Any, period: Period) -> list[Any]:
    """(producer id, how many) of the rows whose `moment` falls in the period."""
    start, end = period.bounds
    return list(
        session.exec(
            select(col(producer), func.count())
            .where(col(moment) >= start, col(moment) < end)
            .group_by(col(producer))
        ).all()
    )


def _add(row: RowOf, name: str, counts: Any) -> None:
    for producer_id, number in counts:
        if (target := row(producer_id, None)) is not None:
            setattr(target, name, getattr(target, name) + int(number))


def townships_in_scope(session: Session, scope: set[int] | None) -> list[Region]:
    query = select(Region).where(
        Region.level == RegionLevel.TOWNSHIP, col(Region.retired).is_(False)
    )
    if scope is not None:
        query = query.where(col(Region.id).in_(scope or {-1}))
    return list(session.exec(query.order_by(col(Region.code))).all())


def producer_townships(session: Session) -> dict[int | None, int | None]:
    """Producer id → its township id (None: registered at county level)."""
    regions = {
        region_id: (level, parent)
        for region_id, level, parent in session.exec(
            select(col(Region.id), col(Region.level), col(Region.parent_id))
        ).all()
    }
    found: dict[int | None, int | None] = {}
    for producer_id, region_id in session.exec(
        select(col(Producer.id), col(Producer.region_id))
    ).all():
        level, parent = regions.get(region_id, (None, None))
        found[producer_id] = (
            region_id
            if level == RegionLevel.TOWNSHIP
            else parent
            if level == RegionLevel.VILLAGE
            else None
        )
    return found


COLUMNS: list[tuple[str, str, str]] = [
    ("name", "乡镇", "Township"),  # 生产主体 / Producer in a township's drill-down
    ("producers", "登记主体", "Registered producers"),
    ("issuing_producers", "开证主体", "Producers issuing"),
    ("coverage", "开证率", "Issuing rate"),
    ("certificates", "合格证", "Certificates"),
    ("item_codes", "追溯码", "Item codes"),
    ("revoked", "作废", "Revoked"),
    ("tests", "快检", "Tests"),
    ("failed_tests", "不合格", "Failed tests"),
    ("refusals", "拦截开证", "Issuing refused"),
    ("open_cases", "在办案件", "Open cases"),
    ("awaiting_investigation", "复检期满待立案", "Re-test window over, not investigated"),
]


def export_header(overview: Overview, *, english: bool) -> list[str]:
    header = [en if english else zh for _name, zh, en in COLUMNS]
    if overview.per_producer:
        header[0] = "Producer" if english else "生产主体"
        header += ["Credit grade", "Credit score"] if english else ["信用等级", "信用得分"]
    else:
        header += [
            f"Credit {g} ({GRADE_EN[g]})" if english else f"信用{g}（{GRADE_ZH[g]}）"
            for g in GRADES
        ]
    return header


# the rows the overview names itself (a township or producer keeps its own name), in English
COUNTY_ROW_EN = "County level / no township"
UNKNOWN_SELLERS_EN = "Samples from unknown sellers"


def _row_name(overview: Overview, figures: Figures, *, english: bool) -> str:
    if not english:
        return figures.name
    if figures is overview.total:
        return "Total"
    if figures.key is None:
        return UNKNOWN_SELLERS_EN if overview.per_producer else COUNTY_ROW_EN
    return figures.name


def export_rows(overview: Overview, *, english: bool = False) -> list[list[Any]]:
    """The table as exported: one line per row, then the totals; rates as percentages.

    Township rows end with their producers per credit grade (A to D); producer rows with
    the producer's grade and score, and their totals line with the grades counted. In
    English the rows the overview names itself (the county's own row, samples of unknown
    sellers, the total) say so in English.
    """
    lines = []
    for figures in [*overview.rows, overview.total]:
        line: list[Any] = []
        for name, _zh, _en in COLUMNS:
            value = getattr(figures, name)
            if name == "coverage":
                value = "" if value is None else round(value * 100, 1)
            if name == "name":
                value = _row_name(overview, figures, english=english)
            line.append(value)
        if not overview.per_producer:
            line += [figures.grades[g] for g in GRADES]
        elif figures.grade is not None:
            line += [figures.grade.grade, figures.grade.score]
        elif figures is overview.total:
            line += [" / ".join(f"{g} {figures.grades[g]}" for g in GRADES), ""]
        else:
            line += ["", ""]  # tests of samples from unknown sellers: nobody to grade
        lines.append(line)
    return lines
