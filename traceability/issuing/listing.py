"""Issued certificates as staff and producers look them up: newest first, within scope.

A producer sees its own; a township supervisor those of producers in its townships; the
county everything. The scope comes in as producer ids (None: every producer), decided by
`auth.policy` in the caller, so this reads the same from a page, the API or a command.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from traceability.models import Certificate, CertificateStatus, Producer

PAGE_SIZE = 100


@dataclass(frozen=True)
class CertificatePage:
    """One page of the list, and where the next (older) one starts, if there is one."""

    certificates: list[Certificate]
    producer_names: dict[int, str]
    older_than: int | None


def list_certificates(
    session: Session,
    *,
    producer_ids: set[int] | None,
    search: str = "",
    status: str = "",
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> CertificatePage:
    """`search` matches a certificate number or code group exactly, or part of a product
    name; `status` is valid or revoked ("" for both); `before_id` pages backwards."""
    query = select(Certificate).order_by(col(Certificate.id).desc())
    if producer_ids is not None:
        query = query.where(col(Certificate.producer_id).in_(producer_ids or {-1}))
    text = search.strip()[:50]
    if text:
        query = query.where(
            or_(
                Certificate.number == text,
                Certificate.group_code == text.upper(),
                col(Certificate.product_name).contains(text, autoescape=True),
            )
        )
    if status in {s.value for s in CertificateStatus}:
        query = query.where(Certificate.status == status)
    if before_id is not None:
        query = query.where(col(Certificate.id) < before_id)
    rows = list(session.exec(query.limit(limit + 1)).all())
    shown = rows[:limit]
    ids = {c.producer_id for c in shown}
    names = {
        p.id or 0: p.name
        for p in session.exec(select(Producer).where(col(Producer.id).in_(ids or {-1}))).all()
    }
    older = shown[-1].id if len(rows) > limit and shown else None
    return CertificatePage(shown, names, older)
