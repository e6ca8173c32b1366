"""Scan events past SCAN_RETENTION_DAYS go; what the lookup shows about a code stays."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from traceability.db import get_engine
from traceability.lookup.scan_retention import purge_scan_events
from traceability.models import ItemCode, ScanEvent, ScanPlace

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=800)  # past the 730 days
RECENT = NOW - timedelta(days=10)


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Each scan written in its own request, so the events are there to purge."""
    return {**app_config, "SCAN_FLUSH_SECONDS": 0}


def _item(app: Flask, demo: dict[str, Any]) -> int:
    serial = demo["codes"][0]["url"].split("/C/", 1)[1].split(".")[0]
    with Session(get_engine(app)) as session:
        item = session.exec(select(ItemCode).where(ItemCode.serial == serial)).one()
        assert item.id is not None
        return item.id


def _write(app: Flask, item_id: int, moments: list[datetime]) -> list[int]:
    """Scan events at these instants, in this order (so in this id order)."""
    with Session(get_engine(app)) as session:
        events = [
            ScanEvent(item_code_id=item_id, place="abcdef0123456789", at=at) for at in moments
        ]
        for event in events:
            session.add(event)
            session.flush()
        session.commit()
        return [e.id for e in events if e.id is not None]


def _left(app: Flask) -> list[int]:
    with Session(get_engine(app)) as session:
        ids = session.exec(select(ScanEvent.id).order_by(col(ScanEvent.id))).all()
        return [i for i in ids if i is not None]  # a primary key, never None once stored


def test_events_older_than_the_period_are_deleted_and_newer_ones_kept(
    app: Flask, demo: dict[str, Any]
) -> None:
    item = _item(app, demo)
    ids = _write(app, item, [OLD, OLD + timedelta(days=1), RECENT, NOW])
    assert purge_scan_events(get_engine(app), 730, now=NOW) == 2
    assert _left(app) == ids[2:]
    assert purge_scan_events(get_engine(app), 730, now=NOW) == 0


def test_in_small_chunks_every_expired_event_still_goes(app: Flask, demo: dict[str, Any]) -> None:
    item = _item(app, demo)
    ids = _write(app, item, [OLD + timedelta(minutes=n) for n in range(7)] + [RECENT] * 3)
    assert purge_scan_events(get_engine(app), 730, now=NOW, chunk=2) == 7
    assert _left(app) == ids[7:]


def test_an_event_written_out_of_order_is_never_deleted_early(
    app: Flask, demo: dict[str, Any]
) -> None:
    """Recent scans among old ones (a flush after an outage) stay; the old prefix goes. An
    old one among recent ones may wait for a later night: the purge never reads the table."""
    item = _item(app, demo)
    moments = [OLD, RECENT, OLD, OLD, RECENT, OLD, NOW, OLD]
    ids = _write(app, item, moments)
    deleted = purge_scan_events(get_engine(app), 730, now=NOW)
    left = _left(app)
    gone = [i for i in ids if i not in left]
    assert deleted == len(gone) and ids[0] in gone
    assert all(moments[ids.index(i)] == OLD for i in gone)
    assert {ids[1], ids[4], ids[6]} <= set(left)


def test_the_codes_count_first_scan_and_places_are_not_touched(
    app: Flask, demo: dict[str, Any]
) -> None:
    path = "/C/" + demo["codes"][0]["url"].split("/C/", 1)[1]
    client = app.test_client()
    for network in (1, 2):
        assert (
            client.get(path, environ_base={"REMOTE_ADDR": f"10.{network}.0.1"}).status_code == 200
        )
    item_id = _item(app, demo)
    later = datetime.now(UTC) + timedelta(days=731)
    assert purge_scan_events(get_engine(app), 730, now=later) == 2
    with Session(get_engine(app)) as session:
        item = session.get(ItemCode, item_id)
        assert item is not None and item.scan_count == 2 and item.first_scan_at is not None
        places = session.exec(select(ScanPlace).where(ScanPlace.item_code_id == item_id)).all()
        assert len(places) == 2
    answer = client.get(path, headers={"Accept": "application/json"}).get_json()
    assert answer["scans"]["count"] == 3


def test_an_empty_table_and_a_period_under_a_day(app: Flask) -> None:
    assert purge_scan_events(get_engine(app), 730, now=NOW) == 0
    with pytest.raises(ValueError):
        purge_scan_events(get_engine(app), 0, now=NOW)


def test_the_command_says_how_many_went_and_refuses_a_zero_period(tmp_path: Path) -> None:
    env = {**os.environ, "TRACEABILITY_HOME": str(tmp_path / "instance")}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "traceability"]
    subprocess.run([*command, "init"], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [*command, "scans", "purge"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "deleted 0 scan event(s) older than 730 days" in done.stdout
    refused = subprocess.run(
        [*command, "scans", "purge"],
        env={**env, "SCAN_RETENTION_DAYS": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1
    assert "SCAN_RETENTION_DAYS" in refused.stderr and "不小于 1 的整数" in refused.stderr
    assert "Traceback" not in refused.stderr
