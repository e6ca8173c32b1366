"""Certificate facts for public lookups, kept in memory per worker.

Most of a lookup answer is the certificate: its printed facts, its status, the upstream
certificates and the batch's rapid tests. They are shared by all codes of a certificate
(up to 100,000 labels of one batch, scanned together at a market's intake or on its
shelves) and change only when someone revokes, marks a key compromised or records a
test. Reading them again for every scan kept the public lookup near a tenth of a
hello-world's throughput (docs/performance.md), so each worker keeps them here:

* every transaction that changes such facts bumps the `lookup_revision` counter, from
  ORM session hooks (`traceability.models.lookup_revision`), so no write path can forget
  it; a worker compares the counter at most every `LOOKUP_FRESHNESS_SECONDS` (default
  1 s) and forgets everything when it moved. A revocation thus reads "revoked" on every
  worker within that time, and at once in the process that made it;
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
from sqlmodel import Session

from traceability.codes import canonical_json
from traceability.models import Certificate
from traceability.models import lookup_revision as revision

read_revision = revision.read_revision  # re-exported: callers of this module need both

MAX_CERTIFICATES = 2_000  # per worker: ~3 KB of facts and up to 4 pages of ~5 KB each
MAX_PAGES_PER_CERTIFICATE = 4  # two languages × genuine or revoked; rarer verdicts render


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
    # (`traceability.web.lookup_views.KeptPage`; this module does not know pages)
    pages: dict[tuple[str, ...], Any] = field(default_factory=dict, compare=False)

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
        self._generation = 0  # moves on every clear: facts loaded across one are not kept
        self._local_seen = revision.local_changes()

    def _clear(self) -> None:
        self._certificates.clear()
        self._keys = None
        self._generation += 1

    def _check(self, session: Session, now: float) -> None:
        """Forget everything when this process or any other changed lookup facts."""
        local = revision.local_changes()
        if self._local_seen != local:
            with self._lock:
                self._local_seen = local
                self._clear()
        if now - self._checked_at < self.freshness:
            return
        current = revision.read_revision(session)
        with self._lock:
            if current != self._revision:
                self._clear()
                self._revision = current
            self._checked_at = now

    def certificate(
        self, session: Session, certificate_id: int, load: Callable[[], CertificateFacts]
    ) -> CertificateFacts:
        now = time.monotonic()
        self._check(session, now)
        entry = self._certificates.get(certificate_id)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        generation = self._generation
        facts = load()
        with self._lock:
            if generation != self._generation:
                return facts  # another thread saw a change while this one was reading
            self._certificates.pop(certificate_id, None)  # a refreshed entry goes last
            if len(self._certificates) >= self.max_entries:
                # dicts keep insertion order: the oldest entry goes first
                self._certificates.pop(next(iter(self._certificates)))
            self._certificates[certificate_id] = (now, facts)
        return facts

    def key(self, session: Session, kid: str, load: Callable[[], dict[str, KeyFacts]]) -> KeyFacts:
        self._check(session, time.monotonic())
        keys = self._keys
        if keys is None or kid not in keys:
            generation = self._generation
            keys = load()
            with self._lock:
                if generation == self._generation:
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
