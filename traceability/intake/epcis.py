"""GS1 EPCIS 2.0 JSON-LD export of issuing and intake events, for chains' own systems.

Issue = ObjectEvent ADD / commissioning (one event per certificate, one EPC per item);
intake = ObjectEvent OBSERVE / receiving at the market. The EPC is the item's GS1
Digital Link URI when the product has a GTIN, else its code URL (docs/code-format.md §6).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from traceability.codes import ItemCode as SignedCode
from traceability.codes import code_url, gs1_digital_link_url, utc_iso
from traceability.intake.service import received_verdicts
from traceability.models import Certificate, IntakeRecord, ItemCode
from traceability.models.types import utcnow

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
MAX_EVENTS = 50_000


def item_epc(base_url: str, cert: Certificate, item: ItemCode) -> str:
    signed = SignedCode(cert.group_code, item.serial[10:], item.kid, item.signature)
    if cert.gtin:
        return gs1_digital_link_url(base_url, cert.gtin, signed)
    return code_url(base_url, signed)


def _market_uri(base_url: str, market_id: int) -> str:
    return f"{base_url.rstrip('/')}/intake/markets/{market_id}"


def _producer_uri(base_url: str, producer_id: int) -> str:
    return f"{base_url.rstrip('/')}/producers/{producer_id}"


def _time(value: datetime) -> str:
    return utc_iso(value)


def _issue_event(base_url: str, cert: Certificate, epcs: list[str]) -> dict[str, Any]:
    ilmd: dict[str, Any] = {"cbvmda:lotNumber": cert.group_code}
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": _time(cert.issued_at),
        "eventTimeZoneOffset": "+08:00",
        "eventID": f"{base_url.rstrip('/')}/events/issue/{cert.number}",
        "epcList": epcs,
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "recalled" if cert.status == "revoked" else "active",
        "readPoint": {"id": _producer_uri(base_url, cert.producer_id)},
        "bizLocation": {"id": _producer_uri(base_url, cert.producer_id)},
        "ilmd": ilmd,
    }
    return event


def _intake_event(base_url: str, record: IntakeRecord, epc: str) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": _time(record.received_at),
        "eventTimeZoneOffset": "+08:00",
        "eventID": f"urn:uuid:{record.uuid}",
        "epcList": [epc],
        "action": "OBSERVE",
        "bizStep": "receiving",
        "disposition": "in_progress",
        "readPoint": {"id": _market_uri(base_url, record.market_id)},
        "bizLocation": {"id": _market_uri(base_url, record.market_id)},
    }


def epcis_document(
    session: Session,
    *,
    base_url: str,
    market_id: int | None = None,
    markets: set[int] | None = None,
    readable: Callable[[set[int]], set[int]] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Intake events of one market (or all) and the issue events of what they received.

    One market's export is its own record: what it received and where that came from.
    Without a market (a county export) the intake events are those of `markets` (None: all)
    and every certificate issued in the window is added; then `readable` (given producer
    ids, those the caller may read) keeps the issue events to producers the caller may
    read, so a township's supervisor gets no other township's item codes.
    """
    intake = (
        select(IntakeRecord, ItemCode, Certificate)
        .join(ItemCode, col(ItemCode.serial) == col(IntakeRecord.serial))
        .join(Certificate, col(Certificate.id) == col(IntakeRecord.certificate_id))
        .where(col(IntakeRecord.verdict).in_(received_verdicts()))
    )
    if market_id is not None:
        intake = intake.where(IntakeRecord.market_id == market_id)
    elif markets is not None:
        intake = intake.where(col(IntakeRecord.market_id).in_(markets or {-1}))
    if since is not None:
        intake = intake.where(col(IntakeRecord.received_at) >= since)
    if until is not None:
        intake = intake.where(col(IntakeRecord.received_at) < until)
    rows = session.exec(intake.order_by(col(IntakeRecord.received_at)).limit(MAX_EVENTS)).all()
    certificates: dict[int, Certificate] = {cert.id or 0: cert for _, _, cert in rows}
    if market_id is None:
        issued = select(Certificate)
        if since is not None:
            issued = issued.where(col(Certificate.issued_at) >= since)
        if until is not None:
            issued = issued.where(col(Certificate.issued_at) < until)
        for cert in session.exec(issued.limit(MAX_EVENTS)).all():
            certificates[cert.id or 0] = cert
        if readable is not None:
            allowed = readable({cert.producer_id for cert in certificates.values()})
            certificates = {k: c for k, c in certificates.items() if c.producer_id in allowed}
    events: list[dict[str, Any]] = []
    for cert in sorted(certificates.values(), key=lambda c: (c.issued_at, c.id or 0)):
        items = session.exec(
            select(ItemCode).where(ItemCode.certificate_id == cert.id).order_by(col(ItemCode.seq))
        ).all()
        epcs = [item_epc(base_url, cert, item) for item in items]
        if epcs:
            events.append(_issue_event(base_url, cert, epcs))
    for record, item, cert in rows:
        events.append(_intake_event(base_url, record, item_epc(base_url, cert, item)))
    return {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": utc_iso(utcnow()),
        "epcisBody": {"eventList": events},
    }
