"""Credit grade (信用评级 A/B/C/D) per producer, computed from its own record.

The rule (docs/compliance.md, shown on the supervisors' page) over the last 365 days:
start at 100 points and deduct

- 30 per failed test not overturned by a passing re-test (40 if a case closed with a penalty),
- 10 per refusal for a banned/restricted substance or an unexpired interval, 3 per other refusal,
- 5 per revoked certificate (at most 20),
- 10 when fewer than half of the batches harvested carry a certificate,
- 10 when fewer than 80 % of the batches have a production record, 20 when fewer than half.

A ≥ 90 with no failed test; B ≥ 75; C ≥ 60; D below 60, or any banned-substance finding.
A: excellent; B: good; C: warning (more sampling); D: seriously untrustworthy (special
supervision). Producers without any batch start at B: there is no record to earn an A.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from traceability.models import Batch, Certificate, CertificateStatus
from traceability.models.compliance import (
    CaseOutcome,
    ComplianceCase,
    InputUse,
    IssueRefusal,
    RapidTest,
    TestResult,
)
from traceability.models.types import utcnow
from traceability.translatable import N_

PERIOD = timedelta(days=365)
SERIOUS_REFUSALS = {
    "banned_substance",
    "restricted_substance",
    "pre_harvest_interval",
    "withdrawal_period",
}
GRADE_ZH = {"A": "优秀", "B": "良好", "C": "信用警示", "D": "严重失信"}
# each deduction by its code: Chinese with its values' places, translated where shown
FACTOR_ZH = {
    "failed_test": N_("检测不合格（案件 #%(case)s）"),
    "serious_refusals": N_("禁限用/间隔期拒绝开具 %(count)s 次"),
    "other_refusals": N_("其他拒绝开具 %(count)s 次"),
    "revoked_certificates": N_("合格证被撤销 %(count)s 张"),
    "few_certified": N_("开证批次不足一半"),
    "records_under_half": N_("生产记录不足一半批次"),
    "records_under_80": N_("生产记录不足八成批次"),
}


def _as_is(text: str) -> str:
    return text


@dataclass(frozen=True)
class Factor:
    """One deduction: what it is (`code`, a `FACTOR_ZH` key), its values, and its points."""

    code: str
    points: int
    values: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return FACTOR_ZH[self.code]

    def text(self, translate: Callable[[str], str] = _as_is) -> str:
        """In Chinese, or through `translate` (a page's gettext) in the page's language."""
        return translate(self.label) % self.values


@dataclass
class CreditGrade:
    producer_id: int
    grade: str
    score: int
    factors: list[Factor] = field(default_factory=list)

    def to_dict(self, in_english: Callable[[str], str] | None = None) -> dict[str, Any]:
        """The API's answer: each factor by code and values, its text in Chinese and, given
        the catalogue's English (`in_english`), in English; `what` is both, as it was."""
        factors = []
        for factor in self.factors:
            zh, en = factor.text(), factor.text(in_english) if in_english else ""
            factors.append(
                {
                    "code": factor.code,
                    "what": f"{zh} / {en}" if en else zh,
                    "what_zh": zh,
                    "what_en": en or None,
                    "values": factor.values,
                    "points": factor.points,
                }
            )
        return {
            "producer_id": self.producer_id,
            "grade": self.grade,
            "grade_zh": GRADE_ZH[self.grade],
            "score": self.score,
            "factors": factors,
        }


def _count(session: Session, query: Any) -> int:
    return int(session.exec(query).one() or 0)


def credit_grade(session: Session, producer_id: int, *, now: datetime | None = None) -> CreditGrade:
    """One producer's grade (the API's answer): the batched computation for a list of one."""
    return credit_grades(session, [producer_id], now=now)[producer_id]


def credit_grades(
    session: Session, producer_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, CreditGrade]:
    """Every listed producer's grade from seven grouped queries, however many producers.

    The supervisors' page grades a whole county (hundreds of producers): a set of queries per
    producer would be thousands of round trips. Producers without any record are graded too.
    """
    ids = set(producer_ids)
    if not ids:
        return {}
    # A past `now` (a past week's sampling plan) reads the year before it and nothing
    # after it: a grade as it stood then, not one that later records change.
    until = now or utcnow()
    period = _Period(until - PERIOD, until)
    records = {producer_id: _Record() for producer_id in ids}
    _load_failed_cases(session, ids, period, records)
    _load_refusals(session, ids, period, records)
    _load_revocations(session, ids, period, records)
    _load_batches(session, ids, period, records)
    return {producer_id: _grade(producer_id, record) for producer_id, record in records.items()}


@dataclass(frozen=True)
class _Period:
    """The 365 days a grade reads: from `since` (included) to `until` (excluded)."""

    since: datetime
    until: datetime

    def holds(self, column: Any) -> tuple[Any, Any]:
        return column >= self.since, column < self.until


@dataclass
class _Record:
    """What the rule reads of one producer's last 365 days, loaded for many producers at once."""

    failed_cases: list[tuple[int, str | None]] = field(default_factory=list)  # (id, outcome)
    refusals: Counter[str] = field(default_factory=Counter)  # by reason
    revoked: int = 0
    batches: int = 0
    certified: int = 0  # batches with a certificate (any status)
    recorded: int = 0  # batches with a production record


def _grade(producer_id: int, record: _Record) -> CreditGrade:
    """The rule itself (docs/compliance.md), over one producer's loaded record."""
    factors: list[Factor] = []
    for case_id, outcome in record.failed_cases:
        points = 40 if outcome == CaseOutcome.PENALTY else 30
        factors.append(Factor("failed_test", -points, {"case": case_id}))
    serious = sum(n for reason, n in record.refusals.items() if reason in SERIOUS_REFUSALS)
    other = sum(record.refusals.values()) - serious
    if serious:
        factors.append(Factor("serious_refusals", -10 * serious, {"count": serious}))
    if other:
        factors.append(Factor("other_refusals", -3 * other, {"count": other}))
    if revoked := record.revoked:
        factors.append(Factor("revoked_certificates", -min(20, 5 * revoked), {"count": revoked}))
    if record.batches:
        if record.certified * 2 < record.batches:
            factors.append(Factor("few_certified", -10))
        share = record.recorded / record.batches
        if share < 0.5:
            factors.append(Factor("records_under_half", -20))
        elif share < 0.8:
            factors.append(Factor("records_under_80", -10))
    score = max(0, 100 + sum(factor.points for factor in factors))
    if record.refusals["banned_substance"] or score < 60:
        grade = "D"
    elif score < 75:
        grade = "C"
    elif score < 90 or record.failed_cases or not record.batches:
        grade = "B"
    else:
        grade = "A"
    return CreditGrade(producer_id, grade, score, factors)


def _load_failed_cases(
    session: Session, ids: set[int], period: _Period, records: dict[int, _Record]
) -> None:
    """Cases opened in the period that still count as a failed test, oldest (lowest id) first."""
    cases = session.exec(
        select(
            ComplianceCase.id,
            ComplianceCase.producer_id,
            ComplianceCase.outcome,
            ComplianceCase.blocking,
        )
        .where(
            col(ComplianceCase.producer_id).in_(ids),
            *period.holds(col(ComplianceCase.opened_at)),
        )
        .order_by(col(ComplianceCase.id))
    ).all()
    for case_id, producer_id, outcome, blocking in cases:
        # a case not cleared and still blocking, or closed with a penalty or a warning
        if producer_id is not None and outcome != CaseOutcome.CLEARED and (blocking or outcome):
            records[producer_id].failed_cases.append((case_id or 0, outcome))


def _load_refusals(
    session: Session, ids: set[int], period: _Period, records: dict[int, _Record]
) -> None:
    counts = session.exec(
        select(IssueRefusal.producer_id, IssueRefusal.reason, func.count())
        .where(col(IssueRefusal.producer_id).in_(ids), *period.holds(col(IssueRefusal.at)))
        .group_by(col(IssueRefusal.producer_id), col(IssueRefusal.reason))
    ).all()
    for producer_id, reason, n in counts:
        records[producer_id].refusals[reason] += int(n)


def _load_revocations(
    session: Session, ids: set[int], period: _Period, records: dict[int, _Record]
) -> None:
    counts = session.exec(
        select(Certificate.producer_id, func.count())
        .where(
            col(Certificate.producer_id).in_(ids),
            Certificate.status == CertificateStatus.REVOKED.value,
            *period.holds(col(Certificate.revoked_at)),
        )
        .group_by(col(Certificate.producer_id))
    ).all()
    for producer_id, n in counts:
        records[producer_id].revoked = int(n)


def _load_batches(
    session: Session, ids: set[int], period: _Period, records: dict[int, _Record]
) -> None:
    """Batches of the period, those with a certificate and those with a production record.

    A batch has a production record when an input use names it, or when its producer
    recorded a use on its product (no batch) on or before its harvest (any time if the
    harvest date is unknown): the earliest such use per product decides.
    """
    in_period = (col(Batch.producer_id).in_(ids), *period.holds(col(Batch.created_at)))
    batch_ids = select(Batch.id).where(*in_period)
    batches = session.exec(
        select(col(Batch.id), Batch.producer_id, Batch.product_id, col(Batch.harvest_date)).where(
            *in_period
        )
    ).all()
    certified = set(
        session.exec(
            select(Certificate.batch_id)
            .distinct()
            .where(
                col(Certificate.batch_id).in_(batch_ids), col(Certificate.issued_at) < period.until
            )
        ).all()
    )
    direct = set(
        session.exec(
            select(InputUse.batch_id)
            .distinct()
            .where(col(InputUse.batch_id).in_(batch_ids), col(InputUse.recorded_at) < period.until)
        ).all()
    )
    first_product_use = {
        (producer_id, product_id): used_on
        for producer_id, product_id, used_on in session.exec(
            select(InputUse.producer_id, InputUse.product_id, func.min(InputUse.used_on))
            .where(
                col(InputUse.producer_id).in_(ids),
                col(InputUse.batch_id).is_(None),
                col(InputUse.recorded_at) < period.until,
            )
            .group_by(col(InputUse.producer_id), col(InputUse.product_id))
        ).all()
    }
    for batch_id, producer_id, product_id, harvest_date in batches:
        record = records[producer_id]
        record.batches += 1
        record.certified += int(batch_id in certified)
        first_use = first_product_use.get((producer_id, product_id))
        record.recorded += int(
            batch_id in direct
            or (first_use is not None and (harvest_date is None or first_use <= harvest_date))
        )


def failed_tests(session: Session, producer_id: int) -> int:
    return _count(
        session,
        select(func.count())
        .select_from(RapidTest)
        .where(RapidTest.producer_id == producer_id, RapidTest.result == TestResult.FAIL.value),
    )
