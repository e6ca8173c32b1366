"""Scan events past their retention period are deleted, a chunk at a time.

The lookup writes one `scan_event` row per scan (`traceability.lookup.scans`), for ever
unless something deletes them: a county's phones add millions a year. A scan is not a
record the law asks anyone to keep; it is kept for the supervisors' per-code history
(`traceability.supervision.scan_history`) for `SCAN_RETENTION_DAYS` (730 by default, the
same two years as the other records). What the lookup shows stays: a code's scan count,
first and last scan are on `item_code` and its places on `scan_place`, none of which is
touched here.

`scan_event` has no index on `at`: one more index to update on every scan written, for a
job that runs once a day. Ids grow with time instead (rows are written within seconds of
their scan, by the flush), so the expired rows are a prefix of the ids. That prefix's end
is found by a binary search over the primary key, and the rows below it are deleted
`CHUNK` ids at a time, each chunk in its own short transaction, so the lookup's flushes
never wait long behind a purge. Each DELETE still checks `at`: a row written out of order
is never deleted early, only possibly a night late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from traceability.models import ScanEvent
from traceability.models.types import utcnow

CHUNK = 10_000


def purge_scan_events(
    engine: Engine, retention_days: int, *, now: datetime | None = None, chunk: int = CHUNK
) -> int:
    """Delete scan events older than `retention_days`; returns how many went."""
    if retention_days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with engine.connect() as connection:
        first, last = connection.execute(
            select(func.min(col(ScanEvent.id)), func.max(col(ScanEvent.id)))
        ).one()
        if first is None or last is None:
            return 0
        low = int(first)
        end = _first_id_kept(connection, low, int(last) + 1, cutoff)
    deleted = 0
    for start in range(low, end, chunk):
        with engine.connect() as raw:
            connection = raw.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                result = connection.execute(
                    delete(ScanEvent).where(
                        col(ScanEvent.id) >= start,
                        col(ScanEvent.id) < min(start + chunk, end),
                        col(ScanEvent.at) < cutoff,
                    )
                )
                deleted += result.rowcount
    return deleted


def _first_id_kept(connection: Connection, low: int, high: int, cutoff: datetime) -> int:
    """The smallest id in [low, high] from which on the rows are not older than `cutoff`.

    A binary search: each probe reads the first row at or after an id through the primary
    key, about log2(rows) probes (24 for ten million).
    """
    while low < high:
        middle = (low + high) // 2
        at = connection.execute(
            select(col(ScanEvent.at))
            .where(col(ScanEvent.id) >= middle)
            .order_by(col(ScanEvent.id))
            .limit(1)
        ).scalar()
        if at is None or at >= cutoff:
            high = middle
        else:
            low = middle + 1
    return low
