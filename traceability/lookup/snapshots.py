"""Certificate facts for public lookups, kept in memory per worker.

Most of a lookup answer is the certificate: its printed facts, its status, the upstream
certificates and the batch's rapid tests. They are shared by all codes of a certificate
(up to 100,000 labels of one batch, scanned together at a market's intake or on its
shelves) and change only when someone revokes, marks a key compromised or records a
test. Reading them again for every scan kept the public lookup near a tenth of a
hello-world's throughput (docs/performance.md), so each worker keeps them here:

* every transaction that changes such facts bumps the `lookup_revision` counter, from an
  ORM flush hook, so no write path can forget it; a worker compares the counter at most
  every `LOOKUP_FRESHNESS_SECONDS` (default 1 s) and forgets everything when it moved. A
  revocation thus reads "revoked" on every worker within that time, and at once in the
  process that made it;
* entries expire after `LOOKUP_CACHE_SECONDS` (default 60 s) whatever happens, so even a
  change made behind the ORM's back (SQL typed by hand) shows within a minute;
* the per-code part (the code's row, its scan counts, a revocation of that one code) is
  read for every lookup and never kept here.

The intake API, the verify API and label rendering read fresh facts every time: they are
not hot, and a market's ledger line must reflect the database at that moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session

from traceability.codes import canonical_json
from traceability.models import (
    Certificate,
    CertificateUpstream,
    LookupRevision,
    RapidTest,
    RevocationEvent,
    SigningKeyRecord,
)

MAX_CERTIFICATES = 5_000  # per worker; a few KB each, plus its pages
MAX_PAGES_PER_CERTIFICATE = 8  # two languages × the verdicts a certificate's codes can get

# A new, changed or deleted row of these can change answers about existing codes …
_WATCHED_ALWAYS = (RevocationEvent, SigningKeyRecord, RapidTest)
# … of these only a changed or deleted one: a new certificate has no cached answers yet.
_WATCHED_CHANGED = (Certificate, CertificateUpstream)
_REVISION = LookupRevision.__table__  # type: ignore[attr-defined]

_local_changes = 0  # commits in this process that bumped the revision


def _touches_lookup_facts(session: OrmSession) -> bool:
    if any(isinstance(obj, _WATCHED_ALWAYS) for obj in session.new):
        return True
    watched = _WATCHED_ALWAYS + _WATCHED_CHANGED
    if any(isinstance(obj, watched) for obj in session.deleted):
        return True
    return any(
        isinstance(obj, watched) and session.is_modified(obj, include_collections=False)
        for obj in session.dirty
    )


@event.listens_for(OrmSession, "after_flush")
def _bump_revision(session: OrmSession, _context: UOWTransaction) -> None:
    """In the same transaction as the change: the counter moves if and only if it commits."""
    if not _touches_lookup_facts(session):
        return
    connection = session.connection()
    bumped = connection.execute(
        update(_REVISION).where(_REVISION.c.id == 1).values(value=_REVISION.c.value + 1)
    )
    if bumped.rowcount == 0:  # a database created without the migration's first row
        connection.execute(insert(_REVISION).values(id=1, value=1))
    session.info["lookup_facts_changed"] = True


@event.listens_for(OrmSession, "after_commit")
def _note_local_change(session: OrmSession) -> None:
    global _local_changes
    if session.info.pop("lookup_facts_changed", False):
        _local_changes += 1


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_rolled_back_change(session: OrmSession, _previous: Any) -> None:
    session.info.pop("lookup_facts_changed", None)


def read_revision(session: Session) -> int:
    value = (
        session.connection().execute(select(_REVISION.c.value).where(_REVISION.c.id == 1)).scalar()
    )
    return int(value or 0)


@dataclass(frozen=True)
class KeyFacts:
    status: str
    compromised_since: datetime | None


@dataclass(frozen=True)
class CertificateFacts:
    """What every answer about one certificate's codes shows of it."""

    certificate: Certificate  # a detached copy: safe to share between requests
    record: dict[str, Any]  # the public JSON record, personal data already masked
    upstream: list[str] = field(default_factory=list)
    tests: list[dict[str, Any]] = field(default_factory=list)
    # the record as canonical JSON, serialised once for every signed answer
    record_json: bytes = b""
    # rendered pages with the per-code parts left as markers, by language and verdict
    pages: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.record_json:
            object.__setattr__(self, "record_json", canonical_json(self.record))


class FactsCache:
    """One per app and process; see the module docstring for when entries are dropped."""

    def __init__(self, ttl: float, freshness: float, max_entries: int = MAX_CERTIFICATES) -> None:
        self.ttl = ttl
        self.freshness = freshness
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._certificates: dict[int, tuple[float, CertificateFacts]] = {}
        self._keys: dict[str, KeyFacts] | None = None
        self._revision: int | None = None
        self._checked_at = float("-inf")
        self._local_seen = _local_changes

    def _clear(self) -> None:
        self._certificates.clear()
        self._keys = None

    def _check(self, session: Session, now: float) -> None:
        """Forget everything when this process or any other changed lookup facts."""
        if self._local_seen != _local_changes:
            with self._lock:
                self._local_seen = _local_changes
                self._clear()
        if now - self._checked_at < self.freshness:
            return
        revision = read_revision(session)
        with self._lock:
            if revision != self._revision:
                self._clear()
                self._revision = revision
            self._checked_at = now

    def certificate(
        self, session: Session, certificate_id: int, load: Callable[[], CertificateFacts]
    ) -> CertificateFacts:
        now = time.monotonic()
        self._check(session, now)
        entry = self._certificates.get(certificate_id)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        facts = load()
        with self._lock:
            if len(self._certificates) >= self.max_entries:
                # dicts keep insertion order: the oldest entry goes first
                self._certificates.pop(next(iter(self._certificates)))
            self._certificates[certificate_id] = (now, facts)
        return facts

    def key(self, session: Session, kid: str, load: Callable[[], dict[str, KeyFacts]]) -> KeyFacts:
        self._check(session, time.monotonic())
        keys = self._keys
        if keys is None or kid not in keys:
            keys = load()
            with self._lock:
                self._keys = keys
        return keys.get(kid, KeyFacts("unknown", None))

    def __len__(self) -> int:
        return len(self._certificates)


def init_app(app: Flask) -> None:
    ttl = float(app.config["LOOKUP_CACHE_SECONDS"])
    freshness = float(app.config["LOOKUP_FRESHNESS_SECONDS"])
    app.extensions["lookup_facts"] = FactsCache(ttl, freshness) if ttl > 0 else None


def facts_cache(app: Flask) -> FactsCache | None:
    cache: FactsCache | None = app.extensions.get("lookup_facts")
    return cache
