"""Recalls (召回): revoke every certificate of a batch or producer, and find where it went.

The report is one grouped query over the intake ledger, served by the indexes on
certificate(batch_id), certificate(producer_id) and intake_record(certificate_id, market_id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from traceability.audit import record_audit
from traceability.beijing_time import SECONDS, format_beijing
from traceability.compliance.audit_trail import acting
from traceability.db import record_by_id
from traceability.errors import Conflict, NotFound, ValidationFailed
from traceability.intake.service import received_verdicts
from traceability.issuing.revocation import revoke_batch, revoke_certificate
from traceability.models import (
    Batch,
    Certificate,
    CertificateStatus,
    IntakeRecord,
    IntakeVerdict,
    Market,
    Producer,
    Recall,
    RecallAlert,
)
from traceability.models.types import utcnow
from traceability.translatable import N_


@dataclass
class RecallLine:
    """One market's receipts of one certificate."""

    market_id: int
    market: str
    kind: str
    region: str
    address: str
    contact: str
    phone: str
    certificate_number: str
    product: str
    items: int
    quantity: Decimal
    unit: str
    first_received_at: datetime
    last_received_at: datetime
    # scans of items another market had received first: the goods moved on, or the code
    # was copied; listed so the market is alerted, never counted as received a second time
    other_market: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "market_id": self.market_id,
            "market": self.market,
            "kind": self.kind,
            "region": self.region,
            "address": self.address,
            "contact": self.contact,
            "phone": self.phone,
            "certificate_number": self.certificate_number,
            "product": self.product,
            "items": self.items,
            "quantity": format(self.quantity.normalize(), "f"),
            "unit": self.unit,
            "first_received_at": self.first_received_at.isoformat(),
            "last_received_at": self.last_received_at.isoformat(),
            "other_market": self.other_market,
        }


REPORT_COLUMNS = [
    "市场 Market",
    "类型 Kind",
    "地区 Region",
    "地址 Address",
    "联系人 Contact",
    "电话 Phone",
    "合格证编号 Certificate No.",
    "产品 Product",
    "件数 Items",
    "数量 Quantity",
    "单位 Unit",
    "首次收货（北京时间）First received (Beijing time)",
    "最近收货（北京时间）Last received (Beijing time)",
    "查验结果 Verdict",
]


# what the report's cells say for a market's kind and a line's verdict, unless the
# caller names them in the reader's language
REPORT_LABELS = {
    "supermarket": N_("超市"),
    "wholesale": N_("批发市场"),
    "farmers_market": N_("农贸市场"),
    "received": N_("收货"),
    "other_market": N_("已被其他市场收货（可能为复制码）"),
}


def _scope(recall: Recall) -> ColumnElement[bool]:
    if recall.batch_id is not None:
        return col(Certificate.batch_id) == recall.batch_id
    conditions = [col(Certificate.producer_id) == recall.producer_id]
    if recall.date_from:
        conditions.append(col(Certificate.issue_date) >= recall.date_from)
    if recall.date_to:
        conditions.append(col(Certificate.issue_date) <= recall.date_to)
    return and_(*conditions)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise ValidationFailed(
            "请填写召回原因（不超过 300 字）。",
            "Give a reason for the recall (300 characters at most).",
            code="reason_required",
        )
    return reason


def recall_batch(
    session: Session, batch_id: int, reason: str, *, actor: str | None = None
) -> Recall:
    """Revoke every certificate of the batch and alert the markets that received it."""
    reason = _reason(reason)
    batch = record_by_id(session, Batch, batch_id)
    if batch is None:
        raise NotFound("找不到该批次。", "No such batch.", code="batch_not_found")
    recall = Recall(batch_id=batch_id, producer_id=batch.producer_id, reason=reason, actor=actor)
    _check_new(session, recall)
    revoke_batch(session, batch_id, reason, actor=actor)
    return _finish(session, recall)


def recall_producer(
    session: Session,
    producer_id: int,
    date_from: date,
    date_to: date,
    reason: str,
    *,
    actor: str | None = None,
) -> Recall:
    """Revoke every certificate the producer issued between the two dates (inclusive)."""
    reason = _reason(reason)
    if record_by_id(session, Producer, producer_id) is None:
        raise NotFound("找不到该生产主体。", "No such producer.", code="producer_not_found")
    if date_to < date_from:
        raise ValidationFailed(
            "结束日期不能早于开始日期。",
            "The end date is before the start date.",
            code="invalid_range",
        )
    recall = Recall(
        producer_id=producer_id, date_from=date_from, date_to=date_to, reason=reason, actor=actor
    )
    _check_new(session, recall)
    for cert in session.exec(select(Certificate).where(_scope(recall))).all():
        revoke_certificate(session, cert, reason, actor=actor)
    return _finish(session, recall)


def _certificate_ids(session: Session, recall: Recall) -> set[int]:
    return {cid for cid in session.exec(select(Certificate.id).where(_scope(recall))) if cid}


def _check_new(session: Session, recall: Recall) -> None:
    """Refuse a recall that would revoke nothing: one that covers no certificate (a date
    range before or after all issuing) alerts no market and only misleads the report, and
    one whose certificates an earlier recall already revoked would alert the markets twice.
    (A certificate issued into the scope after the earlier recall is still valid, so
    recalling it is new.)

    The producer's row is locked first, so two supervisors recalling the same goods at
    once are told in turn rather than both succeeding.
    """
    session.exec(select(Producer.id).where(Producer.id == recall.producer_id).with_for_update())
    statuses = session.exec(select(Certificate.id, Certificate.status).where(_scope(recall)))
    wanted, still_valid = set(), False
    for cert_id, status in statuses:
        wanted.add(cert_id)
        still_valid = still_valid or status != CertificateStatus.REVOKED
    if not wanted:
        raise ValidationFailed(
            "召回范围内没有任何合格证，未创建召回。请核对批次或日期范围。",
            "The recall covers no certificates, so none was made; check the batch or the "
            "date range.",
            code="recall_empty",
        )
    if still_valid:
        return
    earlier = session.exec(
        select(Recall).where(Recall.producer_id == recall.producer_id).order_by(col(Recall.id))
    ).all()
    for previous in earlier:
        if wanted <= _certificate_ids(session, previous):
            raise Conflict(
                f"这些合格证已在召回 #{previous.id} 中召回（{_when(previous)}），未重复召回。"
                "如需查看去向，请打开该召回的报告。",
                f"These certificates were already recalled by recall #{previous.id} "
                f"({_when(previous)}); nothing was recalled again. Open that recall's report "
                "to see where they went.",
                code="already_recalled",
                details={"recall_id": previous.id},
            )


def _when(recall: Recall) -> str:
    return format_beijing(recall.created_at, SECONDS)


def _finish(session: Session, recall: Recall) -> Recall:
    count, first, last = session.exec(
        select(
            func.count(col(Certificate.id)),
            func.min(Certificate.number),
            func.max(Certificate.number),
        ).where(_scope(recall))
    ).one()
    recall.certificates = int(count)
    session.add(recall)
    session.flush()
    markets = sorted({line.market_id for line in recall_report(session, recall)})
    now = utcnow()
    for market_id in markets:
        session.add(RecallAlert(recall_id=recall.id or 0, market_id=market_id, created_at=now))
    # the certificates keep their own `certificate.revoke` entries; this one says what the
    # recall covered (its scope and how many, not every number: a producer's year would make
    # an entry of thousands) and whom it alerted
    record_audit(
        session,
        acting(recall.actor) if recall.actor else None,
        "recall.create",
        object_type="recall",
        object_id=recall.id,
        after={
            "scope": "batch" if recall.batch_id is not None else "producer",
            "batch_id": recall.batch_id,
            "producer_id": recall.producer_id,
            "date_from": recall.date_from,
            "date_to": recall.date_to,
            "certificate_count": recall.certificates,
            "first_certificate": first,
            "last_certificate": last,
            "markets": markets,
        },
        reason=recall.reason,
    )
    session.flush()
    return recall


def get_recall(session: Session, recall_id: int) -> Recall:
    recall = record_by_id(session, Recall, recall_id)
    if recall is None:
        raise NotFound("找不到该召回。", "No such recall.", code="recall_not_found")
    return recall


def recall_report(session: Session, recall: Recall) -> list[RecallLine]:
    """Every market that received the recalled goods, per certificate: one query.

    An item counts once, where it was received (真品 or a paper certificate); a later scan
    of it at another market (已被其他市场收货) is a line of its own marked `other_market`.
    """
    sighting = case(
        (col(IntakeRecord.verdict) == IntakeVerdict.OTHER_MARKET.value, True), else_=False
    )
    columns: list[Any] = [
        Market.id,
        Market.name,
        Market.kind,
        Market.region,
        Market.address,
        Market.contact,
        Market.phone,
        Certificate.number,
        Certificate.product_name,
        func.count(col(IntakeRecord.id)),
        func.sum(IntakeRecord.quantity),
        Certificate.unit,
        func.min(IntakeRecord.received_at),
        func.max(IntakeRecord.received_at),
        sighting,
    ]
    statement = (
        core_select(*columns)
        .select_from(Certificate)
        .join(IntakeRecord, col(IntakeRecord.certificate_id) == col(Certificate.id))
        .join(Market, col(Market.id) == col(IntakeRecord.market_id))
        .where(_scope(recall), col(IntakeRecord.verdict).in_(received_verdicts()))
        .group_by(
            col(Market.id),
            col(Market.name),
            col(Market.kind),
            col(Market.region),
            col(Market.address),
            col(Market.contact),
            col(Market.phone),
            col(Certificate.number),
            col(Certificate.product_name),
            col(Certificate.unit),
            sighting,
        )
        .order_by(col(Market.name), col(Certificate.number), sighting)
    )
    return [
        RecallLine(
            market_id=row[0],
            market=row[1],
            kind=row[2],
            region=row[3],
            address=row[4],
            contact=row[5],
            phone=row[6],
            certificate_number=row[7],
            product=row[8],
            items=int(row[9]),
            quantity=Decimal(row[10] or 0),
            unit=row[11],
            first_received_at=row[12],
            last_received_at=row[13],
            other_market=bool(row[14]),
        )
        for row in session.execute(statement).all()
    ]


def report_rows(
    lines: list[RecallLine], labels: Mapping[str, str] | None = None
) -> list[list[Any]]:
    """The report's cells in REPORT_COLUMNS order; `labels` names a market's kind and a
    line's verdict (`received`, `other_market`) in the reader's language."""
    named = {**REPORT_LABELS, **(labels or {})}
    return [
        [
            line.market,
            named.get(line.kind, line.kind),
            line.region,
            line.address,
            line.contact,
            line.phone,
            line.certificate_number,
            line.product,
            line.items,
            float(line.quantity),
            line.unit,
            format_beijing(line.first_received_at, SECONDS),
            format_beijing(line.last_received_at, SECONDS),
            named["other_market" if line.other_market else "received"],
        ]
        for line in lines
    ]


def open_alerts(session: Session, market_id: int) -> list[dict[str, Any]]:
    """Unacknowledged recall alerts of a market, newest first, with what it received."""
    alerts = session.exec(
        select(RecallAlert, Recall)
        .join(Recall, col(Recall.id) == col(RecallAlert.recall_id))
        .where(RecallAlert.market_id == market_id, col(RecallAlert.acknowledged_at).is_(None))
        .order_by(col(RecallAlert.id).desc())
    ).all()
    answer = []
    for alert, recall in alerts:
        lines = [line for line in recall_report(session, recall) if line.market_id == market_id]
        answer.append(
            {
                "id": alert.id,
                "recall_id": recall.id,
                "reason": recall.reason,
                "created_at": alert.created_at.isoformat(),
                "lines": [line.to_dict() for line in lines],
            }
        )
    return answer


def acknowledge_alert(session: Session, alert_id: int, market_id: int, *, who: str) -> RecallAlert:
    """Mark the alert read by `who` at the market; the first acknowledgement is audited
    (a repeat changes nothing and writes nothing)."""
    alert = session.get(RecallAlert, alert_id)
    if alert is None or alert.market_id != market_id:
        raise NotFound("找不到该召回提醒。", "No such recall alert.", code="alert_not_found")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = who[:100]
        session.add(alert)
        recall = session.get(Recall, alert.recall_id)
        received = recall_report(session, recall) if recall else []
        # what this market received, as a count and its first and last numbers (as
        # `recall.create` does): a big store's share of a big recall is thousands of numbers
        numbers = sorted(
            {line.certificate_number for line in received if line.market_id == market_id}
        )
        record_audit(
            session,
            None,
            "recall_alert.acknowledge",
            object_type="recall_alert",
            object_id=alert.id,
            after={
                "recall_id": alert.recall_id,
                "market_id": market_id,
                "batch_id": recall.batch_id if recall else None,
                "producer_id": recall.producer_id if recall else None,
                "certificate_count": len(numbers),
                "first_certificate": numbers[0] if numbers else None,
                "last_certificate": numbers[-1] if numbers else None,
                "acknowledged_by": alert.acknowledged_by,
            },
        )
        session.flush()
    return alert


def recall_dict(recall: Recall, lines: list[RecallLine]) -> dict[str, Any]:
    return {
        "id": recall.id,
        "batch_id": recall.batch_id,
        "producer_id": recall.producer_id,
        "date_from": recall.date_from.isoformat() if recall.date_from else None,
        "date_to": recall.date_to.isoformat() if recall.date_to else None,
        "reason": recall.reason,
        "certificates": recall.certificates,
        "created_at": recall.created_at.isoformat(),
        "markets": sorted({line.market_id for line in lines}),
        "items": sum(line.items for line in lines if not line.other_market),
        "other_market_items": sum(line.items for line in lines if line.other_market),
        "lines": [line.to_dict() for line in lines],
    }
