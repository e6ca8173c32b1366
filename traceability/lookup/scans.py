"""Scan counting for the public lookup: kept in memory per worker, written in batches.

Every lookup that answers a verdict (a GET, not a HEAD) counts a scan, because the counts
are the clone signal (one package is rarely scanned more than 20 times, or from more than
3 places). Writing each scan in its
own transaction made every lookup a writer: on SQLite all workers queued for the one
write lock, on PostgreSQL every answer waited for a WAL flush. So a worker keeps the
scans it answered here and writes them in one transaction every `SCAN_FLUSH_SECONDS`
(default 1 s), as soon as `max_pending` are waiting, and when the process exits.

The answer adds the worker's own pending scans to the stored figures, so a phone that
scans twice sees its count go up at once; scans answered by other workers show up within
one interval. A database outage keeps the scans here (up to `max_kept`) until it is back.
A hard kill (SIGKILL, power cut) can lose at most one interval of scan counts; it never
touches a certificate, a code or a ledger line, which are written in their own request.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import bindparam, case, func, insert, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect, Engine

from traceability.db import get_engine
from traceability.models import ItemCode, ScanEvent, ScanPlace

log = logging.getLogger(__name__)

_ITEMS = ItemCode.__table__  # type: ignore[attr-defined]
_SCANS = ScanEvent.__table__  # type: ignore[attr-defined]
_PLACES = ScanPlace.__table__  # type: ignore[attr-defined]


def new_places(dialect: Dialect) -> Any:
    """INSERT of (item_code_id, place) into `scan_place` that skips places already there."""
    if dialect.name == "postgresql":
        return postgresql_insert(_PLACES).on_conflict_do_nothing()
    return sqlite_insert(_PLACES).on_conflict_do_nothing()


_LAST = bindparam("b_last", type_=_ITEMS.c.last_scan_at.type)
_COUNT_SCANS = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("b_id"))
    .values(
        scan_count=_ITEMS.c.scan_count + bindparam("b_added"),
        first_scan_at=func.coalesce(
            _ITEMS.c.first_scan_at, bindparam("b_first", type_=_ITEMS.c.first_scan_at.type)
        ),
        last_scan_at=case(
            (or_(_ITEMS.c.last_scan_at.is_(None), _ITEMS.c.last_scan_at < _LAST), _LAST),
            else_=_ITEMS.c.last_scan_at,
        ),
    )
)


@dataclass
class PendingCounts:
    """What this worker counted for one item and has not written yet."""

    count: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    places: set[str] = field(default_factory=set)
    events: list[tuple[str, datetime]] = field(default_factory=list)

    def add(self, place: str, at: datetime, *, stored: bool = False) -> None:
        """`stored`: the code's row already has this place, so none is written for it."""
        self.count += 1
        self.first_at = at if self.first_at is None else min(self.first_at, at)
        self.last_at = at if self.last_at is None else max(self.last_at, at)
        if not stored:
            self.places.add(place)
        self.events.append((place, at))


class ScanBuffer:
    """One per app and process: scans waiting to be written, and the thread that writes them."""

    def __init__(
        self,
        engine: Engine,
        interval: float = 1.0,
        *,
        max_pending: int = 500,
        max_kept: int = 100_000,
    ) -> None:
        self.engine = engine
        self.interval = interval
        self.max_pending = max_pending
        self.max_kept = max_kept
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[int, PendingCounts] = {}
        self._writing: dict[int, PendingCounts] = {}
        self._size = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._closed = False
        _BUFFERS.add(self)

    def add(
        self,
        item_id: int,
        place: str,
        at: datetime,
        *,
        stored_places: frozenset[str] = frozenset(),
    ) -> PendingCounts:
        """Count one scan; returns the item's unwritten counts here, this scan included.

        `stored_places` are the places the code's row was read with: a scan from one of
        them writes its event but no place (a label scanned again where it was before).
        """
        with self._lock:
            self._after_fork()
            pending = self._pending.setdefault(item_id, PendingCounts())
            pending.add(place, at, stored=place in stored_places)
            self._size += 1
            full = self._size >= self.max_pending
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="scan-buffer", daemon=True)
                self._thread.start()
            merged = self._merged(item_id)
        if full:
            self._wake.set()
        return merged

    def _merged(self, item_id: int) -> PendingCounts:
        """The item's counts (without the events: only the writer needs those)."""
        merged = PendingCounts()
        for source in (self._writing.get(item_id), self._pending.get(item_id)):
            if source is not None and source.count:
                merged.count += source.count
                assert source.first_at is not None and source.last_at is not None
                merged.first_at = min(filter(None, (merged.first_at, source.first_at)))
                merged.last_at = max(filter(None, (merged.last_at, source.last_at)))
                merged.places |= source.places
        return merged

    @property
    def size(self) -> int:
        with self._lock:
            return self._size

    def flush(self) -> int:
        """Write what is waiting in one transaction; on failure keep it for the next try."""
        with self._flush_lock:
            with self._lock:
                self._after_fork()
                batch, self._pending, self._size = self._pending, {}, 0
                self._writing = batch
            if not batch:
                return 0
            written = sum(p.count for p in batch.values())
            try:
                self._write(batch)
            except Exception:
                log.warning("could not write %d scans; keeping them for the next try", written)
                with self._lock:
                    self._writing = {}
                    self._requeue(batch)
                return 0
            with self._lock:
                self._writing = {}
            return written

    def close(self) -> None:
        """Write what is left and stop the writer thread (process exit, app teardown)."""
        with self._lock:
            self._closed = True
        self._wake.set()
        try:
            self.flush()
        except Exception:  # exit paths must not raise
            log.warning("scans left unwritten at exit", exc_info=True)

    def _requeue(self, batch: dict[int, PendingCounts]) -> None:
        for item_id, counts in batch.items():
            target = self._pending.setdefault(item_id, PendingCounts())
            for place, at in counts.events:
                target.add(place, at)
            self._size += counts.count
        if self._size > self.max_kept:
            # a long outage: keep the newest scans rather than grow without bound
            events = sorted(
                (
                    (at, item_id, place)
                    for item_id, counts in self._pending.items()
                    for place, at in counts.events
                ),
                reverse=True,
            )
            self._pending = {}
            for at, item_id, place in events[: self.max_kept]:
                self._pending.setdefault(item_id, PendingCounts()).add(place, at)
            log.warning(
                "database unreachable: dropped %d unwritten scan counts",
                len(events) - self.max_kept,
            )
            self._size = self.max_kept

    def _write(self, batch: dict[int, PendingCounts]) -> None:
        with self.engine.connect() as raw:
            connection = raw.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                write_scans(connection, batch)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()
            with self._lock:
                if not self._pending or self._closed:
                    self._thread = None
                    return

    def _after_fork(self) -> None:
        """A forked child starts with its parent's scans, which the parent writes itself."""
        if os.getpid() != self._pid:
            self._pid = os.getpid()
            self._pending, self._writing, self._size = {}, {}, 0
            self._thread = None


def _time_converter(dialect: Dialect) -> Callable[[datetime | None], Any]:
    """A scan time in the driver's form, by the column type's own bind processor."""
    process = _SCANS.c.at.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return lambda at: at
    return lambda at: None if at is None else process(at)


class _DriverStatement:
    """A statement compiled once for the driver, and its parameters in the driver's form."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.names = list(compiled.positiontup or []) if compiled.positional else None

    def row(self, **values: Any) -> Any:
        if self.names is None:
            return values
        return tuple(values[name] for name in self.names)


class _DriverStatements:
    """The flush's statements (counts, events, new places), run as plain DBAPI executemany.

    Through `Connection.execute` SQLAlchemy converts every parameter of every row in
    Python (~30 µs a scan); here each time is converted once, by the column type's own
    bind processor, and the driver does the rest.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.update = _DriverStatement(_COUNT_SCANS, dialect)
        self.insert = _DriverStatement(
            insert(_SCANS).values(
                item_code_id=bindparam("b_item"), place=bindparam("b_place"), at=bindparam("b_at")
            ),
            dialect,
        )
        new = new_places(dialect)
        self.places = _DriverStatement(
            new.values(item_code_id=bindparam("b_item"), place=bindparam("b_place")), dialect
        )
        self.when = _time_converter(dialect)


class _RecordsetStatements:
    """PostgreSQL: each of the flush's writes as one statement over the whole batch.

    Run row by row (executemany), every scan cost PostgreSQL three statement executions;
    as one statement per write the whole batch is four, which halves the database's CPU
    per scan (measured ~100 -> ~45 µs on the bench machine). Each batch travels as one
    JSON parameter read by ``json_to_recordset``: as arrays, psycopg quoted every element
    in Python (a regular expression per element, ~50 µs of the worker's CPU per scan, in
    the flush thread, where it also held the GIL against the requests); ``json.dumps`` does
    it in C. The rows are locked in id order first: the join in ``UPDATE ... FROM`` may
    visit them in any order, and two workers flushing at once must not lock the same rows
    in different orders.
    """

    def __init__(self, dialect: Dialect) -> None:
        def sql_type(column: Any) -> str:
            return str(column.type.dialect_impl(dialect).compile(dialect=dialect))

        items, scans, places = _ITEMS.name, _SCANS.name, _PLACES.name
        item_id = sql_type(_ITEMS.c.id)
        at = sql_type(_SCANS.c.at)
        # text, not varchar(16): a cast would cut a long value, the insert refuses it
        self.lock = (
            f"SELECT id FROM {items} WHERE id IN (SELECT value::{item_id}"
            f" FROM json_array_elements_text(%(ids)s::json)) ORDER BY id FOR UPDATE"
        )
        self.update = (
            f"UPDATE {items} SET scan_count = {items}.scan_count + v.added,"
            f" first_scan_at = coalesce({items}.first_scan_at, v.first_at),"
            f" last_scan_at = CASE WHEN {items}.last_scan_at IS NULL"
            f" OR {items}.last_scan_at < v.last_at THEN v.last_at ELSE {items}.last_scan_at END"
            f" FROM json_to_recordset(%(rows)s::json)"
            f" AS v(id {item_id}, added integer, first_at {at}, last_at {at})"
            f" WHERE {items}.id = v.id"
        )
        self.insert = (
            f"INSERT INTO {scans} (item_code_id, place, at) SELECT item, place, at"
            f" FROM json_to_recordset(%(rows)s::json) AS v(item {item_id}, place text, at {at})"
        )
        self.places = (
            f"INSERT INTO {places} (item_code_id, place) SELECT item, place"
            f" FROM json_to_recordset(%(rows)s::json) AS v(item {item_id}, place text)"
            f" ON CONFLICT DO NOTHING"
        )
        convert = _time_converter(dialect)

        def when(at: datetime | None) -> str | None:
            value = convert(at)
            return None if value is None else value.isoformat()

        self.when = when

    def write(self, connection: Connection, batch: dict[int, PendingCounts]) -> None:
        when = self.when
        ids = sorted(batch)
        counts = [
            {
                "id": item_id,
                "added": batch[item_id].count,
                "first_at": when(batch[item_id].first_at),
                "last_at": when(batch[item_id].last_at),
            }
            for item_id in ids
        ]
        events = [
            {"item": item_id, "place": place, "at": when(at)}
            for item_id in ids
            for place, at in batch[item_id].events
        ]
        new = [
            {"item": item_id, "place": place}
            for item_id in ids
            for place in sorted(batch[item_id].places)
        ]
        connection.exec_driver_sql(self.lock, {"ids": json.dumps(ids)})
        connection.exec_driver_sql(self.update, {"rows": json.dumps(counts)})
        connection.exec_driver_sql(self.insert, {"rows": json.dumps(events)})
        if new:
            connection.exec_driver_sql(self.places, {"rows": json.dumps(new)})


_STATEMENTS: dict[str, _DriverStatements] = {}
_RECORDSET_STATEMENTS: dict[str, _RecordsetStatements] = {}


def write_scans(connection: Connection, batch: dict[int, PendingCounts]) -> None:
    """Counts, events and new places of `batch`, in the caller's transaction.

    The buffer's flush and a lookup that counts its scan at once (`SCAN_FLUSH_SECONDS=0`)
    both write through here. PostgreSQL gets the batch as one statement per write
    (`_RecordsetStatements`); SQLite, in the same process, gains nothing from that and
    runs executemany.
    """
    dialect = connection.dialect
    if dialect.name == "postgresql":
        recordsets = _RECORDSET_STATEMENTS.get(dialect.name)
        if recordsets is None:
            recordsets = _RECORDSET_STATEMENTS[dialect.name] = _RecordsetStatements(dialect)
        recordsets.write(connection, batch)
        return
    statements = _STATEMENTS.get(dialect.name)
    if statements is None:
        statements = _STATEMENTS[dialect.name] = _DriverStatements(dialect)
    when = statements.when
    rows = [
        statements.insert.row(b_item=item_id, b_place=place, b_at=when(at))
        for item_id, counts in batch.items()
        for place, at in counts.events
    ]
    # items in id order: two workers flushing at once lock rows in the same order
    updates = [
        statements.update.row(
            b_id=item_id,
            b_added=batch[item_id].count,
            b_first=when(batch[item_id].first_at),
            b_last=when(batch[item_id].last_at),
        )
        for item_id in sorted(batch)
    ]
    places = [
        statements.places.row(b_item=item_id, b_place=place)
        for item_id in sorted(batch)
        for place in sorted(batch[item_id].places)
    ]
    connection.exec_driver_sql(statements.update.sql, updates)
    connection.exec_driver_sql(statements.insert.sql, rows)
    if places:
        connection.exec_driver_sql(statements.places.sql, places)


_BUFFERS: weakref.WeakSet[ScanBuffer] = weakref.WeakSet()


def init_app(app: Flask) -> None:
    """`SCAN_FLUSH_SECONDS` > 0 buffers scans (the default); 0 writes each in its request."""
    interval = float(app.config["SCAN_FLUSH_SECONDS"])
    app.extensions["scan_buffer"] = ScanBuffer(get_engine(app), interval) if interval > 0 else None


def scan_buffer(app: Flask) -> ScanBuffer | None:
    buffer: ScanBuffer | None = app.extensions.get("scan_buffer")
    return buffer


@atexit.register
def _flush_all_at_exit() -> None:
    for buffer in list(_BUFFERS):
        buffer.close()
