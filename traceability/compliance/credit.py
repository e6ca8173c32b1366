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

PERIOD = timedelta(days=365)
SERIOUS_REFUSALS = {
    "banned_substance",
    "restricted_substance",
    "pre_harvest_interval",
    "withdrawal_period",
}
GRADE_ZH = {"A": "优秀", "B": "良好", "C": "信用警示", "D": "严重失信"}


@dataclass
class CreditGrade:
    producer_id: int
    grade: str
    score: int
    factors: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "producer_id": self.producer_id,
            "grade": self.grade,
            "grade_zh": GRADE_ZH[self.grade],
            "score": self.score,
            "factors": [{"what": what, "points": points} for what, points in self.factors],
        }


def _count(session: Session, query: Any) -> int:
    return int(session.exec(query).one() or 0)


def credit_grade(session: Session, producer_id: int, *, now: datetime | None = None) -> CreditGrade:
    now = now or utcnow()
    since = now - PERIOD
    factors: list[tuple[str, int]] = []
    cases = session.exec(
        select(ComplianceCase).where(
            ComplianceCase.producer_id == producer_id, col(ComplianceCase.opened_at) >= since
        )
    ).all()
    failed = [c for c in cases if c.outcome != CaseOutcome.CLEARED and (c.blocking or c.outcome)]
    for case in failed:
        points = 40 if case.outcome == CaseOutcome.PENALTY else 30
        factors.append((f"检测不合格（案件 #{case.id}）/ failed test", -points))
    refusals = session.exec(
        select(IssueRefusal.reason).where(
            IssueRefusal.producer_id == producer_id, col(IssueRefusal.at) >= since
        )
    ).all()
    serious = sum(1 for r in refusals if r in SERIOUS_REFUSALS)
    other = len(refusals) - serious
    if serious:
        factors.append((f"禁限用/间隔期拒绝开具 {serious} 次 / serious refusals", -10 * serious))
    if other:
        factors.append((f"其他拒绝开具 {other} 次 / other refusals", -3 * other))
    revoked = _count(
        session,
        select(func.count())
        .select_from(Certificate)
        .where(
            Certificate.producer_id == producer_id,
            Certificate.status == CertificateStatus.REVOKED.value,
            col(Certificate.revoked_at) >= since,
        ),
    )
    if revoked:
        factors.append((f"合格证被撤销 {revoked} 张 / revoked certificates", -min(20, 5 * revoked)))
    batch_ids = {
        i
        for i in session.exec(
            select(Batch.id).where(Batch.producer_id == producer_id, col(Batch.created_at) >= since)
        ).all()
        if i is not None
    }
    if batch_ids:
        certified = set(
            session.exec(
                select(Certificate.batch_id).where(col(Certificate.batch_id).in_(batch_ids))
            ).all()
        )
        if len(certified) * 2 < len(batch_ids):
            factors.append(("开证批次不足一半 / fewer than half the batches certified", -10))
        recorded = _recorded_batches(session, producer_id, batch_ids)
        share = recorded / len(batch_ids)
        if share < 0.5:
            factors.append(("生产记录不足一半批次 / production records for < 50 % of batches", -20))
        elif share < 0.8:
            factors.append(("生产记录不足八成批次 / production records for < 80 % of batches", -10))
    score = max(0, 100 + sum(points for _, points in factors))
    banned = serious and any(r == "banned_substance" for r in refusals)
    if banned or score < 60:
        grade = "D"
    elif score < 75:
        grade = "C"
    elif score < 90 or failed or not batch_ids:
        grade = "B"
    else:
        grade = "A"
    return CreditGrade(producer_id, grade, score, factors)


def _recorded_batches(session: Session, producer_id: int, batch_ids: set[int]) -> int:
    """Batches with an input-use entry of their own or of their product before harvest."""
    direct = set(
        session.exec(select(InputUse.batch_id).where(col(InputUse.batch_id).in_(batch_ids))).all()
    )
    product_entries = session.exec(
        select(col(InputUse.product_id), col(InputUse.used_on)).where(
            InputUse.producer_id == producer_id, col(InputUse.batch_id).is_(None)
        )
    ).all()
    count = 0
    for batch in session.exec(select(Batch).where(col(Batch.id).in_(batch_ids))).all():
        if batch.id in direct or any(
            product_id == batch.product_id
            and (batch.harvest_date is None or used_on <= batch.harvest_date)
            for product_id, used_on in product_entries
        ):
            count += 1
    return count


def failed_tests(session: Session, producer_id: int) -> int:
    return _count(
        session,
        select(func.count())
        .select_from(RapidTest)
        .where(RapidTest.producer_id == producer_id, RapidTest.result == TestResult.FAIL.value),
    )
