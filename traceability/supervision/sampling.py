"""The weekly risk-based sampling plan (抽检计划): per township, whom to sample first.

domain.md §4.4: bad credit means more sampling; untested or uncertified subjects and
high-risk product–drug pairs are targeted; a long clean record scales sampling back; the
plan is drawn per township and per week, weighted by risk, excluding subjects sampled
recently. Each producer's risk score is the sum of these points (docs/supervision.md):

- credit grade (compliance/credit.py, one batched grading): A 0, B 10, C 25, D 40;
- no passing test in the last 30 days while it harvested batches (未检测): 20;
- batches of the last 30 days without a certificate (未开证): 15;
- a high-risk product (高风险品种) on its active product list, by name: 韭菜 chives and
  芹菜 celery 15, 豇豆 cowpea (a national focus) 20; the highest one counts;
- a compliance case open at the start of the week, or a failed test in the last 30 days: 30.

**Excluded**: producers tested (pass or fail) in the last 14 days, as "recently sampled"
(a failure among them is already followed by its 检打联动 case and re-test), and suspended
producers: they may not issue certificates, so their produce is a matter for the registry
and enforcement, not for routine market sampling. Both are listed with the plan, not hidden.

**As of the start of the week** (Monday 00:00, Beijing time): every window ends there, so a
week's plan does not move as its days pass and a past week's plan can be drawn again.

**Selection**: per township, highest score first; equal scores are ordered by a hash of the
ISO week and the producer id. Risk, not luck, decides who is sampled (a D producer is never
passed over for a B one by chance, and a supervisor can say why a subject was chosen),
while producers of equal risk take turns from week to week instead of the same lowest ids
every time. The same records and week always give the same plan.

The whole county's plan (scope None) has a row for producers registered at county level,
as the overview has; a township supervisor's holds only its townships.

The cost is a fixed set of grouped queries, whatever the number of townships or producers,
folded per producer in Python as overview.py does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, or_, select

from traceability.beijing_time import EARLIEST_DAY, LATEST_DAY, beijing_date, day_start
from traceability.compliance.credit import GRADE_ZH, credit_grades
from traceability.errors import ValidationFailed
from traceability.models import Batch, Certificate, Producer, ProducerStatus, Product
from traceability.models.compliance import ComplianceCase, RapidTest, TestResult
from traceability.supervision.overview import producer_townships, townships_in_scope
from traceability.whole_numbers import whole_number

LOOKBACK = timedelta(days=30)  # tests, batches and failures the score reads
RECENTLY_SAMPLED = timedelta(days=14)  # tested this recently: not planned again
DEFAULT_PER_TOWNSHIP = 5
MAX_PER_TOWNSHIP = 50

GRADE_POINTS = {"A": 0, "B": 10, "C": 25, "D": 40}
GRADE_EN = {"A": "excellent", "B": "good", "C": "warning", "D": "seriously untrustworthy"}
UNTESTED_POINTS = 20
UNCERTIFIED_POINTS = 15
CASE_OR_FAILURE_POINTS = 30
# High-risk product–drug pairs named in domain.md §4.4 (organophosphates); matched in the
# product's name, so 紫皮韭菜 or 长豇豆 count too.
HIGH_RISK_PRODUCTS: dict[str, tuple[str, int]] = {
    "韭菜": ("chives", 15),
    "芹菜": ("celery", 15),
    "豇豆": ("cowpea, a national focus", 20),
}
# the points of each factor, for the page's legend
WEIGHTS: dict[str, Any] = {
    "grade": GRADE_POINTS,
    "untested": UNTESTED_POINTS,
    "uncertified": UNCERTIFIED_POINTS,
    "high_risk": {name: points for name, (_english, points) in HIGH_RISK_PRODUCTS.items()},
    "case_or_failure": CASE_OR_FAILURE_POINTS,
}


@dataclass(frozen=True)
class Week:
    """A Monday-to-Sunday week of Beijing dates."""

    monday: date

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def as_of(self) -> datetime:
        """Monday 00:00 Beijing time: the instant every window of the plan ends at."""
        return day_start(self.monday)

    @property
    def previous(self) -> Week:
        return Week(self.monday - timedelta(days=7))

    @property
    def following(self) -> Week:
        return Week(self.monday + timedelta(days=7))

    @property
    def label(self) -> str:
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"


def week_of(day: date) -> Week:
    return Week(day - timedelta(days=day.weekday()))


def parse_week(value: str | None, today: date) -> Week:
    """The week holding `value` (YYYY-MM-DD, any day of it); this week by default."""
    if value is None or not value.strip():
        return week_of(today)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            f"周次“{value}”不是有效日期，请填写该周任意一天，如 2026-01-31。",
            f"week “{value}” is not a date; give any day of the week, e.g. 2026-01-31.",
            code="invalid_week",
        ) from None
    if not EARLIEST_DAY + timedelta(days=7) <= day <= LATEST_DAY - timedelta(days=7):
        raise ValidationFailed(
            f"周次 {day} 超出可查询的日期范围（{EARLIEST_DAY} 至 {LATEST_DAY}）。",
            f"week {day} is outside the dates one can look up ({EARLIEST_DAY} to {LATEST_DAY}).",
            code="invalid_week",
        )
    return week_of(day)


def parse_per_township(value: str | None) -> int:
    """How many producers to plan per township: 1 to MAX_PER_TOWNSHIP, 5 by default."""
    return whole_number(
        value,
        low=1,
        high=MAX_PER_TOWNSHIP,
        default=DEFAULT_PER_TOWNSHIP,
        field_zh="每个乡镇的抽检数",
        field_en="per_township",
        code="invalid_per_township",
    )


@dataclass(frozen=True)
class Reason:
    """One factor that raised a producer's score, in both languages."""

    code: str
    zh: str
    en: str
    points: int


@dataclass
class Candidate:
    producer_id: int
    name: str
    code: str  # USCC, when it has one
    grade: str = "B"
    reasons: list[Reason] = field(default_factory=list)
    last_tested: date | None = None  # Beijing date of its last test before the week

    @property
    def score(self) -> int:
        return sum(reason.points for reason in self.reasons)


@dataclass
class TownshipPlan:
    """One township's plan: its eligible producers ranked, the first `size` of them chosen;
    the rest stand in when a chosen one cannot be sampled. Who was left out is kept too."""

    key: int | None  # None: producers registered at county level
    code: str
    name: str
    size: int
    ranked: list[Candidate] = field(default_factory=list)
    recently_tested: list[Candidate] = field(default_factory=list)
    suspended: list[Candidate] = field(default_factory=list)

    @property
    def chosen(self) -> list[Candidate]:
        return self.ranked[: self.size]

    @property
    def reserve(self) -> list[Candidate]:
        return self.ranked[self.size :]


@dataclass
class SamplingPlan:
    week: Week
    per_township: int
    townships: list[TownshipPlan] = field(default_factory=list)


def sampling_plan(
    session: Session, scope: set[int] | None, week: Week, per_township: int
) -> SamplingPlan:
    """The plan for `week` over the townships in `scope` (None: the whole county, with a
    row for producers registered at county level, as the overview has)."""
    townships = townships_in_scope(session, scope)
    plans: dict[int | None, TownshipPlan] = {
        t.id: TownshipPlan(t.id, t.code, t.name, per_township) for t in townships
    }
    if scope is None:
        plans[None] = TownshipPlan(None, "", "县级及未关联乡镇", per_township)
    where: dict[int, int | None] = {
        p: t for p, t in producer_townships(session).items() if p is not None and t in plans
    }
    producers = session.exec(
        select(col(Producer.id), Producer.name, Producer.uscc, Producer.status).where(
            col(Producer.id).in_(set(where) or {-1})
        )
    ).all()
    candidates = {pid: Candidate(pid, name, uscc or "") for pid, name, uscc, _ in producers if pid}
    suspended = {pid for pid, _, _, status in producers if status == ProducerStatus.SUSPENDED}
    _score(session, candidates, week)
    for producer_id, candidate in candidates.items():
        plan = plans[where[producer_id]]
        if producer_id in suspended:
            plan.suspended.append(candidate)
        elif candidate.last_tested is not None and (
            candidate.last_tested >= week.monday - RECENTLY_SAMPLED
        ):
            plan.recently_tested.append(candidate)
        else:
            plan.ranked.append(candidate)
    for plan in plans.values():
        plan.ranked.sort(key=lambda c: _rank(c, week))
        plan.recently_tested.sort(key=lambda c: c.name)
        plan.suspended.sort(key=lambda c: c.name)
    return SamplingPlan(week, per_township, [plans[k] for k in plans])


def _rank(candidate: Candidate, week: Week) -> tuple[int, str]:
    """Highest score first; ties by a hash of the ISO week and the producer (see above)."""
    turn = hashlib.sha256(f"{week.label}:{candidate.producer_id}".encode()).hexdigest()
    return -candidate.score, turn


def _score(session: Session, candidates: dict[int, Candidate], week: Week) -> None:
    """Add every factor's reason to the candidates, from one grouped query per factor."""
    if not candidates:
        return
    as_of, since = week.as_of, week.as_of - LOOKBACK
    for producer_id, grade in credit_grades(session, candidates, now=as_of).items():
        candidate = candidates[producer_id]
        candidate.grade = grade.grade
        if points := GRADE_POINTS[grade.grade]:
            candidate.reasons.append(
                Reason(
                    "credit",
                    f"信用等级 {grade.grade}（{GRADE_ZH[grade.grade]}）",
                    f"credit grade {grade.grade} ({GRADE_EN[grade.grade]})",
                    points,
                )
            )
    tested = _tests(session, since, as_of)
    harvested, uncertified = _batches(session, week)
    open_cases = set(
        session.exec(
            select(ComplianceCase.producer_id)
            .distinct()
            .where(
                col(ComplianceCase.opened_at) < as_of,
                or_(
                    col(ComplianceCase.closed_at).is_(None), col(ComplianceCase.closed_at) >= as_of
                ),
            )
        ).all()
    )
    risky = _high_risk_products(session)
    for producer_id, candidate in candidates.items():
        last_pass, last_fail = tested.get(producer_id, (None, None))
        moments = [m for m in (last_pass, last_fail) if m is not None]
        candidate.last_tested = beijing_date(max(moments)) if moments else None
        if harvested.get(producer_id) and last_pass is None:
            candidate.reasons.append(
                Reason(
                    "untested",
                    f"近 30 天有 {harvested[producer_id]} 个批次采收，但没有合格的检测",
                    f"{harvested[producer_id]} batches harvested in the last 30 days, "
                    "no passing test",
                    UNTESTED_POINTS,
                )
            )
        if missing := uncertified.get(producer_id):
            candidate.reasons.append(
                Reason(
                    "uncertified",
                    f"近 30 天有 {missing} 个批次未开具合格证",
                    f"{missing} batches of the last 30 days without a certificate",
                    UNCERTIFIED_POINTS,
                )
            )
        if product := risky.get(producer_id):
            english, points = HIGH_RISK_PRODUCTS[product]
            candidate.reasons.append(
                Reason(
                    "high_risk_product",
                    f"高风险品种：{product}（有机磷类农药）",
                    f"high-risk product: {english} (organophosphates)",
                    points,
                )
            )
        if producer_id in open_cases or last_fail is not None:
            zh, en = (
                ("有未结案的不合格处置案件", "an open compliance case")
                if producer_id in open_cases
                else ("近 30 天有不合格检测", "a failed test in the last 30 days")
            )
            candidate.reasons.append(Reason("case_or_failure", zh, en, CASE_OR_FAILURE_POINTS))
        candidate.reasons.sort(key=lambda r: -r.points)


def _tests(
    session: Session, since: datetime, until: datetime
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Producer → (last passing test, last failed test) in [since, until)."""
    found: dict[int, tuple[datetime | None, datetime | None]] = {}
    for producer_id, result, last in session.exec(
        select(col(RapidTest.producer_id), col(RapidTest.result), func.max(RapidTest.tested_at))
        .where(
            col(RapidTest.producer_id).is_not(None),
            col(RapidTest.tested_at) >= since,
            col(RapidTest.tested_at) < until,
        )
        .group_by(col(RapidTest.producer_id), col(RapidTest.result))
    ).all():
        if producer_id is None:
            continue
        passed, failed = found.get(producer_id, (None, None))
        if result == TestResult.PASS:
            passed = last
        else:
            failed = last
        found[producer_id] = (passed, failed)
    return found


def _batches(session: Session, week: Week) -> tuple[dict[int, int], dict[int, int]]:
    """Per producer: batches harvested in the 30 days before the week, and how many of
    them have no certificate. A batch without a harvest date counts by its entry time."""
    first = week.monday - LOOKBACK
    in_window = or_(
        (col(Batch.harvest_date) >= first) & (col(Batch.harvest_date) < week.monday),
        col(Batch.harvest_date).is_(None)
        & (col(Batch.created_at) >= day_start(first))
        & (col(Batch.created_at) < week.as_of),
    )
    certified = select(Certificate.batch_id).where(col(Certificate.batch_id).is_not(None))
    rows = session.exec(
        select(
            col(Batch.producer_id),
            func.count(),
            func.count().filter(col(Batch.id).not_in(certified)),
        )
        .where(in_window)
        .group_by(col(Batch.producer_id))
    ).all()
    harvested = {producer_id: int(n) for producer_id, n, _ in rows}
    uncertified = {producer_id: int(n) for producer_id, _, n in rows if n}
    return harvested, uncertified


def _high_risk_products(session: Session) -> dict[int, str]:
    """Producer → the riskiest high-risk product among its active products' names."""
    found: dict[int, str] = {}
    for producer_id, name in session.exec(
        select(Product.producer_id, Product.name).where(
            col(Product.active).is_(True),
            or_(*(col(Product.name).contains(key) for key in HIGH_RISK_PRODUCTS)),
        )
    ).all():
        for key, (_english, points) in HIGH_RISK_PRODUCTS.items():
            if (
                key in name
                and points > HIGH_RISK_PRODUCTS.get(found.get(producer_id, ""), ("", 0))[1]
            ):
                found[producer_id] = key
    return found


EXPORT_COLUMNS: list[tuple[str, str]] = [
    ("乡镇", "Township"),
    ("顺序", "Order"),
    ("生产主体", "Producer"),
    ("统一社会信用代码", "USCC"),
    ("信用等级", "Credit grade"),
    ("风险分", "Risk score"),
    ("抽检理由", "Reasons"),
    ("上次检测", "Last tested"),
]


def export_header(*, english: bool) -> list[str]:
    return [en if english else zh for zh, en in EXPORT_COLUMNS]


def export_rows(plan: SamplingPlan, *, english: bool) -> list[list[Any]]:
    """One line per chosen producer, township by township, in the order to sample them."""
    lines: list[list[Any]] = []
    for township in plan.townships:
        name = "County level" if english and township.key is None else township.name
        for order, candidate in enumerate(township.chosen, start=1):
            reasons = [(r.en if english else r.zh) + f" +{r.points}" for r in candidate.reasons]
            lines.append(
                [
                    name,
                    order,
                    candidate.name,
                    candidate.code,
                    candidate.grade,
                    candidate.score,
                    ("; " if english else "；").join(reasons),
                    str(candidate.last_tested or ""),
                ]
            )
    return lines
