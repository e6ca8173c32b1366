"""The agent's local journal: what it started and finished printing, across restarts.

A job is written as "sending" *before* the first byte goes to the printer and as
"done" after; on restart a "sending" without "done" is reported as uncertain and never
printed again automatically. SQLite with synchronous=FULL, so a power cut keeps it.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class JournalEntry:
    job_id: str
    claim_token: str
    state: str  # "sending" | "done"
    outcome: str | None
    error: str | None
    acked: bool


class Journal:
    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, claim_token TEXT NOT NULL,"
            " state TEXT NOT NULL, outcome TEXT, error TEXT, acked INTEGER NOT NULL DEFAULT 0,"
            " updated_at TEXT NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS remembered (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )

    def _now(self) -> str:
        return datetime.now(UTC).isoformat()

    def get(self, job_id: str) -> JournalEntry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT job_id, claim_token, state, outcome, error, acked FROM jobs"
                " WHERE job_id = ?",
                (job_id,),
            ).fetchone()
        return JournalEntry(row[0], row[1], row[2], row[3], row[4], bool(row[5])) if row else None

    def start(self, job_id: str, claim_token: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs (job_id, claim_token, state, updated_at)"
                " VALUES (?, ?, 'sending', ?)",
                (job_id, claim_token, self._now()),
            )

    def forget(self, job_id: str) -> None:
        """Only when provably nothing left the kiosk (refused before the first byte)."""
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE job_id = ? AND state = 'sending'", (job_id,))

    def finish(self, job_id: str, outcome: str, error: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET state = 'done', outcome = ?, error = ?, updated_at = ?"
                " WHERE job_id = ?",
                (outcome, error, self._now(), job_id),
            )

    def mark_acked(self, job_id: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET acked = 1, updated_at = ? WHERE job_id = ?", (self._now(), job_id)
            )

    def unacknowledged(self) -> list[JournalEntry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id, claim_token, state, outcome, error, acked FROM jobs WHERE acked = 0"
            ).fetchall()
        return [JournalEntry(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def recover(self) -> int:
        """After a crash: every 'sending' becomes 'done/uncertain'. Returns how many."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE jobs SET state = 'done', outcome = 'uncertain',"
                " error = 'agent stopped while sending', updated_at = ? WHERE state = 'sending'",
                (self._now(),),
            )
        return cursor.rowcount

    def remembered(self, name: str) -> str | None:
        """A setting the server told the agent, kept for a restart while the server is away."""
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM remembered WHERE name = ?", (name,)
            ).fetchone()
        return str(row[0]) if row else None

    def remember(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO remembered (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
