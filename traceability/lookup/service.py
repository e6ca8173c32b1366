"""Online verification of a scanned code against the signature *and* the database.

Offline verification can only check the signature and the revocation list; online we
also know whether the code was really issued, its certificate, and its scan history.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from traceability import keystore
from traceability.codes import KeyRing, ScanError, Verifier, parse_scanned_text
from traceability.codes.scanning import ParsedCode
from traceability.codes.verification import VERDICT_MESSAGES
from traceability.compliance.testing import public_test, tests_of_batch
from traceability.db import side_write
from traceability.lookup.scans import PendingCounts, ScanBuffer
from traceability.models import (
    Certificate,
    CertificateStatus,
    CertificateStyle,
    CertificateUpstream,
    ItemCode,
    KeyStatus,
    RevocationEvent,
    ScanEvent,
    SigningKeyRecord,
)
from traceability.models.types import utcnow

SCANS_PLAUSIBLE = 20  # one package is rarely scanned more often than this
PLACES_PLAUSIBLE = 3  # … or from more distinct places
PLACES_COUNTED = 100  # places are counted up to here: past PLACES_PLAUSIBLE only "many" matters

EXTRA_MESSAGES = {
    "not_issued": (
        "无法验证：签名格式正确，但本系统没有签发过这个追溯码。",
        "Not genuine: the code looks signed but was never issued by this service.",
    ),
    "not_activated": (
        "无法验证：该预印追溯码尚未激活，不能作为合格证使用。",
        "Not usable: this pre-printed code has not been activated by an issued certificate.",
    ),
}


@dataclass
class LookupResult:
    status: str
    message_zh: str
    message_en: str
    reason: str | None = None
    at: str | None = None
    parsed: ParsedCode | None = None
    certificate: Certificate | None = None
    item: ItemCode | None = None
    upstream: list[str] = field(default_factory=list)
    scan_count: int = 0
    first_scan_at: datetime | None = None
    places: int = 0
    tests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def suspicious_scans(self) -> bool:
        return self.scan_count > SCANS_PLAUSIBLE or self.places > PLACES_PLAUSIBLE

    def to_dict(self) -> dict[str, Any]:
        """The public JSON: verdict first, then the certificate with personal data masked."""
        verdict = {
            "status": self.status,
            "reason": self.reason,
            "at": self.at,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        body: dict[str, Any] = {"verdict": verdict}
        if self.parsed is not None:
            body["code"] = {"serial": self.parsed.code.serial, "kid": self.parsed.code.kid}
        cert = self.certificate
        if cert is not None:
            record = cert.snapshot()
            record.update(
                {
                    "issuer_phone": mask_phone(cert.issuer_phone),
                    "status": cert.status,
                    "revoked_at": cert.revoked_at.isoformat() if cert.revoked_at else None,
                    "revoke_reason": cert.revoke_reason,
                    "issued_at": cert.issued_at.isoformat(),
                    "item_count": cert.item_count,
                    "upstream_certificates": self.upstream,
                    "tests": self.tests,
                }
            )
            body["certificate"] = record
        if self.item is not None:
            body["item"] = {"seq": self.item.seq, "of": cert.item_count if cert else None}
            body["scans"] = {
                "count": self.scan_count,
                "first_at": self.first_scan_at.isoformat() if self.first_scan_at else None,
                "places": self.places,
                "suspicious": self.suspicious_scans,
            }
        return body


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to recognise, not enough to call."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


def coarse_place(remote_addr: str | None, secret: str) -> str:
    """A keyed hash of the /16 (IPv4) or /32 (IPv6) network: counts places, stores no address."""
    addr = remote_addr or "unknown"
    network = ".".join(addr.split(".")[:2]) if "." in addr else ":".join(addr.split(":")[:2])
    return hmac.new(secret.encode(), network.encode(), hashlib.sha256).hexdigest()[:16]


class KeyRingCache:
    """Published keys per database, reloaded on an unknown kid or every `ttl` seconds."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._rings: dict[str, tuple[float, KeyRing]] = {}

    def get(self, session: Session, database: str, *, refresh: bool = False) -> KeyRing:
        now = time.monotonic()
        with self._lock:
            entry = self._rings.get(database)
        if entry is None or refresh or now - entry[0] > self.ttl:
            ring = keystore.key_ring(session)
            with self._lock:
                self._rings[database] = (now, ring)
            return ring
        return entry[1]


KEY_RINGS = KeyRingCache()


def _result(status: str, parsed: ParsedCode | None = None, **extra: Any) -> LookupResult:
    zh, en = EXTRA_MESSAGES.get(extra.get("reason") or "", VERDICT_MESSAGES.get(status, ("", "")))
    return LookupResult(status, zh, en, parsed=parsed, **extra)


def lookup(
    session: Session,
    text: str,
    *,
    database: str,
    accepted_hosts: set[str] | None = None,
    place: str | None = None,
    record_scan: bool = True,
    scans: ScanBuffer | None = None,
) -> LookupResult:
    """The verdict for scanned text, checked against keys and records; never raises on input.

    With `scans`, the scan is counted in that buffer (written in batches, see
    `traceability.lookup.scans`); without, it is written before this returns.
    """
    try:
        parsed = parse_scanned_text(text, accepted_hosts=accepted_hosts)
    except ScanError as exc:
        return LookupResult("malformed", exc.message_zh, exc.message_en, reason=exc.code)
    ring = KEY_RINGS.get(session, database)
    if parsed.code.kid not in ring:
        ring = KEY_RINGS.get(session, database, refresh=True)
    verdict = Verifier(ring).verify_parsed(parsed)
    if verdict.status != "genuine":
        return _result(verdict.status, parsed, reason=verdict.reason)
    row = session.execute(
        sa_select(
            ItemCode,
            Certificate,
            col(SigningKeyRecord.status),
            col(SigningKeyRecord.compromised_since),
            col(RevocationEvent.reason),
            col(RevocationEvent.at),
        )
        .outerjoin(Certificate, col(Certificate.id) == col(ItemCode.certificate_id))
        .outerjoin(SigningKeyRecord, col(SigningKeyRecord.kid) == col(ItemCode.kid))
        .outerjoin(RevocationEvent, col(RevocationEvent.serial) == col(ItemCode.serial))
        .where(col(ItemCode.serial) == parsed.code.serial)
    ).first()
    if row is None:
        return _result("not_genuine", parsed, reason="not_issued")
    item, cert, key_status, compromised_since, revoked_reason, revoked_at = row
    if item.signature != parsed.code.signature:
        return _result("not_genuine", parsed, reason="not_issued")
    if cert is None:
        return _result("not_activated", parsed, reason="not_activated", item=item)
    result = _result("genuine", parsed, certificate=cert, item=item)
    since = compromised_since if key_status == KeyStatus.COMPROMISED else None
    if since is not None and cert.issued_at >= since:
        result = _result(
            "key_compromised",
            parsed,
            certificate=cert,
            item=item,
            reason="key_compromised",
            at=since.isoformat(),
        )
    if result.status == "genuine":
        if cert.status == CertificateStatus.REVOKED:
            result = _result(
                "revoked",
                parsed,
                certificate=cert,
                item=item,
                reason=cert.revoke_reason,
                at=cert.revoked_at.isoformat() if cert.revoked_at else None,
            )
        elif revoked_at is not None:
            result = _result(
                "revoked",
                parsed,
                certificate=cert,
                item=item,
                reason=revoked_reason,
                at=revoked_at.isoformat(),
            )
    if cert.style == CertificateStyle.PURCHASER:
        result.upstream = _upstream_numbers(session, cert)
    if cert.batch_id is not None:
        result.tests = [public_test(t) for t in tests_of_batch(session, cert.batch_id)]
    if record_scan and scans is not None and item.id is not None:
        _buffered_scan(session, result, item, scans.add(item.id, place or "unknown", utcnow()))
    else:
        _scans(session, result, item, place, record_scan)
    return result


def _buffered_scan(
    session: Session, result: LookupResult, item: ItemCode, pending: PendingCounts
) -> None:
    """Stored counts (read with the item) plus this worker's unwritten ones."""
    result.scan_count = item.scan_count + pending.count
    firsts = [at for at in (item.first_scan_at, pending.first_at) if at is not None]
    result.first_scan_at = min(firsts) if firsts else None
    stored = session.exec(
        select(ScanEvent.place)
        .where(ScanEvent.item_code_id == item.id)
        .distinct()
        .limit(PLACES_COUNTED)
    ).all()
    result.places = len(set(stored) | pending.places)


def _upstream_numbers(session: Session, cert: Certificate) -> list[str]:
    links = session.exec(
        select(CertificateUpstream).where(CertificateUpstream.certificate_id == cert.id)
    ).all()
    numbers: list[str] = []
    for link in links:
        if link.upstream_certificate_id:
            upstream = session.get(Certificate, link.upstream_certificate_id)
            if upstream:
                numbers.append(upstream.number)
        elif link.external_reference:
            numbers.append(link.external_reference)
    return numbers


def _scans(
    session: Session, result: LookupResult, item: ItemCode, place: str | None, record: bool
) -> None:
    """Count this scan at once (`SCAN_FLUSH_SECONDS=0`), then read the history back.

    The write is a `side_write`: the lookup's reads stay in the request's read
    transaction, so concurrent lookups queue for SQLite's write lock instead of failing
    with "database is locked" while upgrading a read transaction.
    """
    table = ItemCode.__table__  # type: ignore[attr-defined]
    scans = ScanEvent.__table__  # type: ignore[attr-defined]
    if not record:
        _count_scans(session.connection(), table, scans, item, place, record, result)
        return
    with side_write(session) as connection:
        _count_scans(connection, table, scans, item, place, record, result)


def _count_scans(
    connection: Connection,
    table: Any,
    scans: Any,
    item: ItemCode,
    place: str | None,
    record: bool,
    result: LookupResult,
) -> None:
    if record:
        now = utcnow()
        connection.execute(
            update(table)
            .where(table.c.id == item.id)
            .values(
                scan_count=table.c.scan_count + 1,
                first_scan_at=func.coalesce(table.c.first_scan_at, now),
                last_scan_at=now,
            )
        )
        connection.execute(
            insert(scans).values(item_code_id=item.id, place=place or "unknown", at=now)
        )
    count, first = connection.execute(
        select(table.c.scan_count, table.c.first_scan_at).where(table.c.id == item.id)
    ).one()
    places = connection.execute(
        select(func.count(func.distinct(scans.c.place))).where(scans.c.item_code_id == item.id)
    ).scalar_one()
    result.scan_count = int(count)
    result.first_scan_at = first
    result.places = int(places)


def certificate_for_code(session: Session, text: str, *, database: str) -> tuple[Certificate, Any]:
    """The certificate behind a code that verifies and was issued here; NotFound otherwise.

    Used to render labels: never for a forged, unissued or unactivated code.
    """
    from traceability.errors import NotFound

    result = lookup(session, text, database=database, record_scan=False)
    if result.certificate is None or result.parsed is None or result.status == "not_genuine":
        raise NotFound(
            "找不到该追溯码对应的合格证。", "No certificate for this code.", code="code_not_found"
        )
    return result.certificate, result.parsed.code
