"""Recalls as staff list them: newest first, with whom they concern and how far the alerts got.

A recall is started once and then followed: which markets were told, and which of them
said they have seen it. The report itself (`recall.recall_report`) is per recall.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from traceability.models import Batch, Producer, Product, Recall, RecallAlert

LIST_LIMIT = 200


@dataclass(frozen=True)
class RecallSummary:
    recall: Recall
    producer: str
    batch: str  # "product · lot" for a batch recall; empty for a date range
    markets: int  # markets alerted
    acknowledged: int  # of which acknowledged


def list_recalls(
    session: Session, producer_ids: set[int] | None, *, limit: int = LIST_LIMIT
) -> list[RecallSummary]:
    """The latest recalls of `producer_ids` (None: every producer), newest first."""
    query = select(Recall).order_by(col(Recall.id).desc()).limit(limit)
    if producer_ids is not None:
        query = query.where(col(Recall.producer_id).in_(producer_ids or {-1}))
    recalls = session.exec(query).all()
    ids = [r.id for r in recalls]
    counts = {
        recall_id: (int(total), int(seen or 0))
        for recall_id, total, seen in session.execute(
            select(
                col(RecallAlert.recall_id),
                func.count(col(RecallAlert.id)),
                func.count(col(RecallAlert.acknowledged_at)),
            )
            .where(col(RecallAlert.recall_id).in_(ids or [-1]))
            .group_by(col(RecallAlert.recall_id))
        ).all()
    }
    producers = {
        p.id: p.name
        for p in session.exec(
            select(Producer).where(col(Producer.id).in_({r.producer_id for r in recalls} or {-1}))
        ).all()
    }
    batches = {
        batch.id: f"{product.name} · {batch.lot}"
        for batch, product in session.exec(
            select(Batch, Product)
            .join(Product, col(Product.id) == col(Batch.product_id))
            .where(col(Batch.id).in_({r.batch_id for r in recalls} or {-1}))
        ).all()
    }
    answer = []
    for recall in recalls:
        total, seen = counts.get(recall.id or 0, (0, 0))
        answer.append(
            RecallSummary(
                recall=recall,
                producer=producers.get(recall.producer_id, "") if recall.producer_id else "",
                batch=batches.get(recall.batch_id, "") if recall.batch_id else "",
                markets=total,
                acknowledged=seen,
            )
        )
    return answer


def alerts_of(session: Session, recall_id: int) -> dict[int, RecallAlert]:
    """The recall's alert per market id: whether and when each market acknowledged it."""
    rows = session.exec(select(RecallAlert).where(RecallAlert.recall_id == recall_id)).all()
    return {row.market_id: row for row in rows}
