"""Online verification of a scanned code against the signature *and* the database.

Offline verification can only check the signature and the revocation list; online we
also know whether the code was really issued, its certificate, and its scan history.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, literal_column
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, select

from traceability import keystore
from traceability.codes import (
    KeyRing,
    ScanError,
    Verifier,
    canonical_json,
    parse_scanned_text,
)
from traceability.codes.scanning import ParsedCode
from traceability.codes.verification import VERDICT_MESSAGES
from traceability.compliance.testing import public_test, tests_of_batch
from traceability.db import side_write
from traceability.lookup.scans import PendingCounts, ScanBuffer, write_scans
from traceability.lookup.snapshots import CertificateFacts, FactsCache, KeyFacts
from traceability.models import (
    Certificate,
    CertificateStatus,
    CertificateStyle,
    CertificateUpstream,
    ItemCode,
    KeyStatus,
    RevocationEvent,
    ScanPlace,
    SigningKeyRecord,
)
from traceability.models.types import utcnow

log = logging.getLogger(__name__)

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
# What the service itself says where the offline verifier's words would mislead: the
# service has every key it ever published, so "update the keys and retry" is no advice to
# a shopper; a key it does not know means the code is not its own.
ONLINE_MESSAGES = {
    "unknown_key": (
        "无法验证：这个追溯码不是本系统签发的（签名密钥未知），可能来自其他地区，也可能是伪造的。",
        "Cannot verify: this code was not issued by this service (unknown signing key); it may"
        " come from another region or be forged.",
    ),
}


@dataclass(frozen=True)
class ItemFacts:
    """One code's row as a lookup reads it, fresh for every scan."""

    id: int
    seq: int
    kid: str
    certificate_id: int | None
    signature: bytes
    scan_count: int
    first_scan_at: datetime | None
    stored_places: frozenset[str]  # distinct places of stored scans, up to PLACES_COUNTED
    revoked_reason: str | None  # a revocation of this one code
    revoked_at: datetime | None


@dataclass
class LookupResult:
    status: str
    message_zh: str
    message_en: str
    reason: str | None = None
    at: str | None = None
    parsed: ParsedCode | None = None
    facts: CertificateFacts | None = None
    item: ItemFacts | None = None
    scan_count: int = 0
    first_scan_at: datetime | None = None
    places: int = 0

    @property
    def certificate(self) -> Certificate | None:
        return self.facts.certificate if self.facts else None

    @property
    def upstream(self) -> list[str]:
        return self.facts.upstream if self.facts else []

    @property
    def tests(self) -> list[dict[str, Any]]:
        return self.facts.tests if self.facts else []

    @property
    def suspicious_scans(self) -> bool:
        return self.scan_count > SCANS_PLAUSIBLE or self.places > PLACES_PLAUSIBLE

    def to_canonical_json(self) -> bytes:
        """`canonical_json(self.to_dict())`, reusing what repeats from answer to answer.

        The certificate's record is serialised once per certificate (`CertificateFacts`)
        and the verdict once per verdict (`_verdict_json`); only the code's own members
        are serialised here. "certificate" sorts before every other member and "verdict"
        after them, so the bytes are canonical_json's of the whole body.
        """
        body = self.to_dict()
        if self.facts is None:
            return canonical_json(body)
        del body["certificate"], body["verdict"]
        assert all("certificate" < name < "verdict" for name in body)
        verdict = _verdict_json(self.status, self.reason, self.at, self.message_zh, self.message_en)
        members = [b'"certificate":' + self.facts.record_json]
        if body:
            members.append(canonical_json(body)[1:-1])
        members.append(b'"verdict":' + verdict)
        return b"{" + b",".join(members) + b"}"

    def to_dict(self) -> dict[str, Any]:
        """The public JSON: verdict first, then the certificate with personal data masked."""
        body: dict[str, Any] = {
            "verdict": _verdict_dict(
                self.status, self.reason, self.at, self.message_zh, self.message_en
            )
        }
        if self.parsed is not None:
            body["code"] = {"serial": self.parsed.code.serial, "kid": self.parsed.code.kid}
        cert = self.certificate
        if self.facts is not None:
            body["certificate"] = dict(self.facts.record)
        if self.item is not None:
            body["item"] = {"seq": self.item.seq, "of": cert.item_count if cert else None}
            body["scans"] = {
                "count": self.scan_count,
                "first_at": self.first_scan_at.isoformat() if self.first_scan_at else None,
                "places": self.places,
                "suspicious": self.suspicious_scans,
            }
        return body


def _verdict_dict(
    status: str, reason: str | None, at: str | None, message_zh: str, message_en: str
) -> dict[str, Any]:
    return {
        "status": status,
        "reason": reason,
        "at": at,
        "message_zh": message_zh,
        "message_en": message_en,
    }


@lru_cache(maxsize=256)
def _verdict_json(
    status: str, reason: str | None, at: str | None, message_zh: str, message_en: str
) -> bytes:
    """A verdict's canonical JSON: nearly every answer repeats one of a few verdicts."""
    return canonical_json(_verdict_dict(status, reason, at, message_zh, message_en))


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
    return _network_key(network, secret)


@lru_cache(maxsize=4096)
def _network_key(network: str, secret: str) -> str:
    """Kept per network: a county's phones come from few networks (their carriers' /16s),
    and between requests OpenSSL's HMAC took ~25 µs of a scan, not the ~3 µs it takes in
    a tight loop. 4,096 entries hold ~1 MB at most."""
    return hmac.digest(secret.encode(), network.encode(), "sha256").hex()[:16]


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
    zh, en = EXTRA_MESSAGES.get(
        extra.get("reason") or "",
        ONLINE_MESSAGES.get(status) or VERDICT_MESSAGES.get(status, ("", "")),
    )
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
    facts: FactsCache | None = None,
    reader: ItemReader | None = None,
) -> LookupResult:
    """The verdict for scanned text, checked against keys and records; never raises on input.

    With `scans`, the scan is counted in that buffer (written in batches, see
    `traceability.lookup.scans`); without, it is written before this returns. With
    `facts`, the certificate's part comes from that per-worker cache (see
    `traceability.lookup.snapshots`); without, it is read now. With `reader`, the code's
    row is read outside the session's transaction (public lookups: see `ItemReader`).
    """
    try:
        parsed = parse_scanned_text(text, accepted_hosts=accepted_hosts)
    except ScanError as exc:
        return LookupResult("malformed", exc.message_zh, exc.message_en, reason=exc.code)
    code = parsed.code
    ring = KEY_RINGS.get(session, database)
    if code.kid not in ring:
        ring = KEY_RINGS.get(session, database, refresh=True)
    item = reader.read(code.serial) if reader is not None else read_item(session, code.serial)
    if not _is_stored_code(item, code, ring):
        # Forged, altered, or signed with our key but unknown here: the signature says which.
        verdict = Verifier(ring).verify_parsed(parsed)
        if verdict.status != "genuine":
            return _result(verdict.status, parsed, reason=verdict.reason)
        return _result("not_genuine", parsed, reason="not_issued")
    assert item is not None
    if item.certificate_id is None:
        return _result("not_activated", parsed, reason="not_activated", item=item)
    certificate_id = item.certificate_id
    if facts is None:
        cert_facts = load_certificate_facts(session, certificate_id, shared=False)
        key = load_key_facts(session).get(item.kid)
    else:
        cert_facts = facts.certificate(
            session,
            certificate_id,
            lambda: load_certificate_facts(session, certificate_id, shared=True),
        )
        key = facts.key(session, item.kid, lambda: load_key_facts(session))
    result = _verdict(parsed, cert_facts, item, key)
    if record_scan and scans is not None:
        pending = scans.add(item.id, place or "unknown", utcnow(), stored_places=item.stored_places)
        _buffered_scan(result, item, pending)
    else:
        _scans(session, result, item, place, record_scan)
    return result


def _is_stored_code(item: ItemFacts | None, code: Any, ring: KeyRing) -> bool:
    """The scanned code is byte for byte the one stored when it was issued, under a known key.

    The signature covers exactly serial + key id (`signed_message`), and we made it when
    issuing, so verifying it again would only re-prove that: ~130 µs, a fifth of a
    public lookup. Every other code is verified, to tell a forged signature from one that
    is ours but not in this database; offline verification always verifies.
    """
    return (
        item is not None
        and item.signature == code.signature
        and item.kid == code.kid
        and bool(ring.candidates(code.kid))
    )


def _verdict(
    parsed: ParsedCode, facts: CertificateFacts, item: ItemFacts, key: KeyFacts | None
) -> LookupResult:
    """Genuine unless the key was compromised before issuing, or the certificate or code revoked."""
    cert = facts.certificate
    since = key.compromised_since if key and key.status == KeyStatus.COMPROMISED else None
    if since is not None and cert.issued_at >= since:
        return _result(
            "key_compromised",
            parsed,
            facts=facts,
            item=item,
            reason="key_compromised",
            at=since.isoformat(),
        )
    if cert.status == CertificateStatus.REVOKED:
        return _result(
            "revoked",
            parsed,
            facts=facts,
            item=item,
            reason=cert.revoke_reason,
            at=cert.revoked_at.isoformat() if cert.revoked_at else None,
        )
    if item.revoked_at is not None:
        return _result(
            "revoked",
            parsed,
            facts=facts,
            item=item,
            reason=item.revoked_reason,
            at=item.revoked_at.isoformat(),
        )
    return _result("genuine", parsed, facts=facts, item=item)


_ITEM_STATEMENTS: dict[str, Any] = {}


def _item_statement(dialect: str) -> Any:
    """Code, revocation of that code and its distinct scan places: one round trip.

    The places (`scan_place`, one row per place) come back joined by commas (place keys
    are hex, see `coarse_place`), so the answer can merge them with the worker's unwritten
    scans as a set.
    """
    statement = _ITEM_STATEMENTS.get(dialect)
    if statement is not None:
        return statement
    item = ItemCode.__table__  # type: ignore[attr-defined]
    revocation = RevocationEvent.__table__  # type: ignore[attr-defined]
    join = "string_agg(place, ',')" if dialect == "postgresql" else "group_concat(place, ',')"
    places: Any = literal_column(
        f"(SELECT {join} FROM (SELECT place FROM scan_place"
        f" WHERE scan_place.item_code_id = item_code.id LIMIT {PLACES_COUNTED}) AS p)"
    )
    statement = (
        sa_select(
            item.c.id,
            item.c.seq,
            item.c.kid,
            item.c.certificate_id,
            item.c.signature,
            item.c.scan_count,
            item.c.first_scan_at,
            revocation.c.reason,
            revocation.c.at,
            places.label("places"),
        )
        .select_from(item.outerjoin(revocation, revocation.c.serial == item.c.serial))
        .where(item.c.serial == bindparam("serial"))
    )
    _ITEM_STATEMENTS[dialect] = statement
    return statement


def read_item(session: Session, serial: str) -> ItemFacts | None:
    """The code's row in the session's transaction (intake locks it right after)."""
    connection = session.connection()
    row = connection.execute(_item_statement(connection.dialect.name), {"serial": serial}).first()
    return _item_facts(row) if row is not None else None


class ItemReader:
    """The public lookup's one query per scan, on a DBAPI connection of its own.

    Through a Session the query costs ~250 µs of Python (session, transaction, result
    machinery, a pool checkout with its ping and reset) for ~15 µs of SQLite work; here
    ~25 µs. Each thread keeps one connection taken from the engine's pool and detached from
    it (same connect-time settings); a connection that fails is dropped and the read tried
    once more on a new one. It is a single statement, so it needs no transaction: SQLite
    connections run without one (`make_engine`), PostgreSQL ones in autocommit. The
    statement and the column conversions are SQLAlchemy's own, compiled once per engine.

    On PostgreSQL the statement is prepared once per connection and run through libpq
    itself (`_PreparedRead`): psycopg's cursor machinery around it cost ~40 µs of a
    worker's CPU per scan, as much as the rest of the read.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        compiled = _item_statement(dialect.name).compile(dialect=dialect)
        self.sql = str(compiled)
        names = list(compiled.positiontup or [])
        self.positional = bool(compiled.positional)
        if self.positional and names != ["serial"]:
            raise RuntimeError(f"unexpected parameters in the item query: {names}")
        self.autocommit = dialect.name == "postgresql"
        self.errors: type[Exception] = dialect.loaded_dbapi.Error
        columns = _item_statement(dialect.name).selected_columns
        self.converters = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self._local = threading.local()
        self._connections: list[Any] = []
        weakref.finalize(self, _close_all, self._connections)

    def _connection(self) -> Any:
        connection: Any = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            raw = self.engine.raw_connection()
            connection = raw.driver_connection
            raw.detach()  # ours until it fails or the reader goes: no checkout per read
            if self.autocommit:
                connection.autocommit = True
                self._local.prepared = _PreparedRead(connection, self.sql)
            self._local.connection, self._local.pid = connection, os.getpid()
            self._connections.append(connection)
        return connection

    def _drop(self) -> None:
        connection = self._local.__dict__.pop("connection", None)
        self._local.__dict__.pop("prepared", None)
        if connection is not None:
            self._connections.remove(connection)
            _close_all([connection])

    def read(self, serial: str) -> ItemFacts | None:
        params: Any = (serial,) if self.positional else {"serial": serial}
        try:
            row = self._fetch(params)
        except self.errors:
            self._drop()  # a restarted database or a dropped connection: one more try
            row = self._fetch(params)
        if row is None:
            return None
        values = [
            convert(value) if convert is not None and value is not None else value
            for convert, value in zip(self.converters, row, strict=True)
        ]
        return _item_facts(values)

    def _fetch(self, params: Any) -> Any:
        connection = self._connection()
        prepared: _PreparedRead | None = getattr(self._local, "prepared", None)
        if prepared is not None:
            return prepared.fetch(params["serial"])
        cursor = connection.cursor()
        try:
            cursor.execute(self.sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()


class _PreparedRead:
    """The item query prepared on one psycopg connection, run with libpq's PQexecPrepared.

    The row is loaded by psycopg's own Transformer (what its cursors use), so the values
    are exactly a cursor's. Errors are psycopg's, as from a cursor.
    """

    NAME = b"traceability_item_read"

    def __init__(self, connection: Any, sql: str) -> None:
        from psycopg.adapt import Transformer

        if "%" in sql.replace("%(serial)s", ""):
            raise RuntimeError("the item query has parameters other than serial")
        self.connection = connection
        self.sql = sql.replace("%(serial)s", "$1").encode()
        self.transformer = Transformer(connection)
        self.prepared = False

    def fetch(self, serial: str) -> Any:
        from psycopg import errors, pq

        pgconn = self.connection.pgconn
        if not self.prepared:
            self._check(pgconn.prepare(self.NAME, self.sql), pq.ExecStatus.COMMAND_OK, errors)
            self.prepared = True
        result = pgconn.exec_prepared(self.NAME, [serial.encode()])
        self._check(result, pq.ExecStatus.TUPLES_OK, errors)
        if not result.ntuples:
            return None
        self.transformer.set_pgresult(result)
        return self.transformer.load_row(0, tuple)

    def _check(self, result: Any, expected: Any, errors: Any) -> None:
        if result.status != expected:
            raise errors.error_from_result(result, encoding=self.connection.info.encoding)


def _close_all(connections: list[Any]) -> None:
    for connection in connections:
        try:
            connection.close()
        except Exception:  # closing a broken connection may fail; it is gone either way
            log.debug("closing a lookup connection failed", exc_info=True)
    connections.clear()


def _item_facts(row: Any) -> ItemFacts:
    return ItemFacts(
        id=row[0],
        seq=row[1],
        kid=row[2],
        certificate_id=row[3],
        signature=bytes(row[4]),
        scan_count=row[5],
        first_scan_at=row[6],
        stored_places=frozenset(row[9].split(",")) if row[9] else frozenset(),
        revoked_reason=row[7],
        revoked_at=row[8],
    )


_SHARED_COLUMNS = [
    column.key
    for column in Certificate.__table__.columns  # type: ignore[attr-defined]
    if column.key != "signature_image"
]


def load_certificate_facts(
    session: Session, certificate_id: int, *, shared: bool
) -> CertificateFacts:
    """The certificate's part of every answer about its codes.

    `shared` facts go into the per-worker cache: they hold a copy of the certificate that
    belongs to no session (without the signature image, which answers never show).
    """
    cert = session.get(Certificate, certificate_id)
    if cert is None:  # the foreign key forbids it; a row deleted by hand
        raise LookupError(f"certificate {certificate_id} is gone")
    upstream = _upstream_numbers(session, cert) if cert.style == CertificateStyle.PURCHASER else []
    tests = (
        [public_test(t) for t in tests_of_batch(session, cert.batch_id)]
        if cert.batch_id is not None
        else []
    )
    record = cert.snapshot()
    record.update(
        {
            "issuer_phone": mask_phone(cert.issuer_phone),
            "status": cert.status,
            "revoked_at": cert.revoked_at.isoformat() if cert.revoked_at else None,
            "revoke_reason": cert.revoke_reason,
            "issued_at": cert.issued_at.isoformat(),
            "item_count": cert.item_count,
            "upstream_certificates": upstream,
            "tests": tests,
        }
    )
    if shared:
        cert = Certificate(**{name: getattr(cert, name) for name in _SHARED_COLUMNS})
    return CertificateFacts(cert, record, upstream, tests)


def load_key_facts(session: Session) -> dict[str, KeyFacts]:
    """Every key's status: a handful of rows."""
    return {
        key.kid: KeyFacts(key.status, key.compromised_since)
        for key in session.exec(select(SigningKeyRecord)).all()
    }


def _buffered_scan(result: LookupResult, item: ItemFacts, pending: PendingCounts) -> None:
    """Stored counts (read with the item) plus this worker's unwritten ones."""
    result.scan_count = item.scan_count + pending.count
    firsts = [at for at in (item.first_scan_at, pending.first_at) if at is not None]
    result.first_scan_at = min(firsts) if firsts else None
    result.places = len(item.stored_places | pending.places)


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
    session: Session, result: LookupResult, item: ItemFacts, place: str | None, record: bool
) -> None:
    """Count this scan at once (`SCAN_FLUSH_SECONDS=0`), then read the history back.

    The write is a `side_write`: the lookup's reads stay in the request's read
    transaction, so concurrent lookups queue for SQLite's write lock instead of failing
    with "database is locked" while upgrading a read transaction.
    """
    if not record:
        _count_scans(session.connection(), item, None, result)
        return
    with side_write(session) as connection:
        _count_scans(connection, item, place or "unknown", result)


def _count_scans(
    connection: Connection, item: ItemFacts, place: str | None, result: LookupResult
) -> None:
    """Write this scan (with a place) through the scan writer's statements, then read back."""
    table = ItemCode.__table__  # type: ignore[attr-defined]
    if place is not None:
        counts = PendingCounts()
        counts.add(place, utcnow())
        write_scans(connection, {item.id: counts})
    count, first = connection.execute(
        select(table.c.scan_count, table.c.first_scan_at).where(table.c.id == item.id)
    ).one()
    places_table = ScanPlace.__table__  # type: ignore[attr-defined]
    places = connection.execute(
        select(func.count()).where(places_table.c.item_code_id == item.id)
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
