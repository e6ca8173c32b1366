"""Revoke (作废) certificates, and publish the signed revocation list verifiers cache offline.

Every revocation appends to `revocation_event`; the highest event id is the list's
version, so a verifier holding version N knows exactly when its copy is stale.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from traceability import keystore
from traceability.codes import (
    CompromisedKey,
    PendingGroup,
    RetiredKey,
    RevocationList,
    RevokedGroup,
    RevokedItem,
    SigningKey,
    build_revocation_list,
    sign_revocation_list,
    utc_iso,
)
from traceability.db import record_by_id
from traceability.errors import NotFound, ValidationFailed
from traceability.models import (
    Batch,
    Certificate,
    CertificateStatus,
    ItemCode,
    KeyStatus,
    RevocationEvent,
)
from traceability.models.types import utcnow


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise ValidationFailed(
            "请填写撤销原因（不超过 300 字）。",
            "Give a reason for the revocation (300 characters at most).",
            code="reason_required",
        )
    return reason


def find_certificate(session: Session, number_or_group: str) -> Certificate:
    text = number_or_group.strip()
    cert = session.exec(
        select(Certificate).where(
            (Certificate.number == text) | (Certificate.group_code == text.upper())
        )
    ).first()
    if cert is None:
        raise NotFound("找不到该合格证。", "No such certificate.", code="certificate_not_found")
    return cert


def revoke_certificate(
    session: Session,
    certificate: Certificate,
    reason: str,
    *,
    actor: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Revoke one certificate and all its item codes; False when it already was."""
    reason = _reason(reason)
    if certificate.status == CertificateStatus.REVOKED:
        return False
    now = now or utcnow()
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = now
    certificate.revoke_reason = reason
    session.add(certificate)
    session.add(
        RevocationEvent(
            group_code=certificate.group_code,
            certificate_id=certificate.id,
            reason=reason,
            actor=actor,
            at=now,
        )
    )
    # Codes activated from a pre-printed roll carry the roll's group, not the
    # certificate's: revoke them one by one so offline verifiers see it too.
    roll_serials = session.exec(
        select(ItemCode.serial).where(
            ItemCode.certificate_id == certificate.id, col(ItemCode.roll_id).is_not(None)
        )
    ).all()
    for serial in roll_serials:
        session.add(
            RevocationEvent(
                serial=serial, certificate_id=certificate.id, reason=reason, actor=actor, at=now
            )
        )
    from traceability.audit import record_audit

    record_audit(
        session, actor, "certificate.revoke", object_type="certificate",
        object_id=certificate.number, after={"status": "revoked"}, reason=reason,
    )  # fmt: skip
    session.flush()
    return True


def revoke_item(session: Session, serial: str, reason: str, *, actor: str | None = None) -> None:
    """Revoke a single item code (a lost or damaged label) without its siblings."""
    reason = _reason(reason)
    item = session.exec(select(ItemCode).where(ItemCode.serial == serial.upper())).first()
    if item is None:
        raise NotFound("找不到该追溯码。", "No such item code.", code="item_not_found")
    session.add(
        RevocationEvent(
            serial=item.serial, certificate_id=item.certificate_id, reason=reason, actor=actor
        )
    )
    session.flush()


def revoke_batch(
    session: Session, batch_id: int, reason: str, *, actor: str | None = None
) -> list[Certificate]:
    """Revoke every certificate issued against a batch."""
    if record_by_id(session, Batch, batch_id) is None:
        raise NotFound("找不到该批次。", "No such batch.", code="batch_not_found")
    revoked = []
    for cert in session.exec(select(Certificate).where(Certificate.batch_id == batch_id)).all():
        if revoke_certificate(session, cert, reason, actor=actor):
            revoked.append(cert)
    return revoked


def note_key_change(session: Session, kid: str, what: str) -> None:
    """Key compromises change the list too: bump its version."""
    note_list_change(session, f"{what}:{kid}")


def note_list_change(session: Session, what: str) -> None:
    """Anything else the offline list carries changed (a roll made or activated)."""
    session.add(RevocationEvent(reason=what[:300]))
    session.flush()


def current_version(session: Session) -> int:
    highest = session.exec(select(func.max(RevocationEvent.id))).one()
    return int(highest or 0)


def build_current_list(session: Session, *, now: datetime | None = None) -> RevocationList:
    events = session.exec(select(RevocationEvent).order_by(col(RevocationEvent.id))).all()
    groups = [
        RevokedGroup(g=e.group_code, reason=e.reason, at=utc_iso(e.at))
        for e in events
        if e.group_code
    ]
    items = [RevokedItem(s=e.serial, reason=e.reason, at=utc_iso(e.at)) for e in events if e.serial]
    compromised: list[CompromisedKey] = []
    retired: list[RetiredKey] = []
    for record in keystore.all_keys(session):
        if record.status == KeyStatus.COMPROMISED and record.compromised_since:
            valid = session.exec(
                select(Certificate.group_code).where(
                    Certificate.kid == record.kid, Certificate.issued_at < record.compromised_since
                )
            ).all()
            compromised.append(
                CompromisedKey(
                    kid=record.kid,
                    since=utc_iso(record.compromised_since),
                    valid_groups=tuple(valid),
                )
            )
        elif record.status == KeyStatus.RETIRED and record.retired_at:
            retired.append(RetiredKey(kid=record.kid, since=utc_iso(record.retired_at)))
    from traceability.issuing.rolls import pending_rolls

    pending = [
        PendingGroup(g=group, activated=tuple(items)) for group, items in pending_rolls(session)
    ]
    return build_revocation_list(
        current_version(session),
        pending_groups=pending,
        issued_at=now,
        revoked_groups=groups,
        revoked_items=items,
        compromised_keys=compromised,
        retired_keys=retired,
    )


_published_lock = threading.Lock()
_published: dict[str, tuple[int, str]] = {}


def published_revocation_jws(session: Session, key: SigningKey, database: str) -> tuple[int, str]:
    """The signed list, rebuilt only when its version changes (cached per process)."""
    version = current_version(session)
    with _published_lock:
        cached = _published.get(database)
    if cached and cached[0] == version:
        return cached
    jws = sign_revocation_list(build_current_list(session), key)
    with _published_lock:
        _published[database] = (version, jws)
    return version, jws
