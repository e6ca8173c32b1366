"""Refused issues, kept for supervisors.

A refusal ends in a rollback of the request that was refused, which would take a row
written in the same transaction with it. So the refusal is queued on the session and
written on a connection of its own once that transaction has ended (committed, rolled
back or closed), when no lock of the refused request is held any more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from traceability.errors import DomainError
from traceability.models import Batch
from traceability.models.compliance import IssueRefusal

log = logging.getLogger(__name__)
PENDING = "compliance_pending_refusals"


class IssueRefused(DomainError):
    """A certificate the producer's own records contradict; the message says which record."""

    status = 422
    code = "issue_refused"


@dataclass(frozen=True)
class PendingRefusal:
    producer_id: int
    batch_id: int | None
    product_name: str
    reason: str
    message_zh: str
    message_en: str
    list_version: str | None
    source: str | None
    channel: str
    at: datetime


def queue_refusal(session: Session, refusal: PendingRefusal) -> None:
    session.info.setdefault(PENDING, []).append(refusal)


@event.listens_for(OrmSession, "after_transaction_end")
def _write_queued(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or not session.info.get(PENDING):
        return
    pending: list[PendingRefusal] = session.info.pop(PENDING)
    bind = session.get_bind()
    try:
        with bind.engine.begin() as connection:
            for refusal in pending:
                values = refusal.__dict__.copy()
                batch_id = values["batch_id"]
                if batch_id is not None:
                    # a batch made by the refused request itself was rolled back with it
                    found = connection.execute(
                        select(Batch.__table__.c.id).where(Batch.__table__.c.id == batch_id)  # type: ignore[attr-defined]
                    )
                    if found.first() is None:
                        values["batch_id"] = None
                connection.execute(insert(IssueRefusal.__table__), [values])  # type: ignore[attr-defined]
    except Exception:  # a lost record must not turn a refusal into a 500
        log.exception("could not record %d issue refusal(s)", len(pending))


def refusals(
    session: Session,
    *,
    producer_ids: set[int] | None = None,
    producer_id: int | None = None,
    limit: int = 200,
) -> list[IssueRefusal]:
    query = sm_select(IssueRefusal)
    if producer_id is not None:
        query = query.where(IssueRefusal.producer_id == producer_id)
    if producer_ids is not None:
        query = query.where(col(IssueRefusal.producer_id).in_(producer_ids or {-1}))
    return list(session.exec(query.order_by(col(IssueRefusal.id).desc()).limit(limit)).all())


def refusal_dict(refusal: IssueRefusal) -> dict[str, Any]:
    return {
        "id": refusal.id,
        "producer_id": refusal.producer_id,
        "batch_id": refusal.batch_id,
        "product_name": refusal.product_name,
        "reason": refusal.reason,
        "message_zh": refusal.message_zh,
        "message_en": refusal.message_en,
        "list_version": refusal.list_version,
        "source": refusal.source,
        "channel": refusal.channel,
        "at": refusal.at.isoformat(),
    }
