"""Scans of the public lookup are counted at once and written in batches, losing none."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import Session, func, select

from traceability import create_app
from traceability.db import get_engine, session_scope
from traceability.demo import load_demo
from traceability.lookup.scans import ScanBuffer
from traceability.models import ItemCode, ScanEvent, ScanPlace


def _valid_path(demo: dict[str, Any]) -> str:
    url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    return "/C/" + url.split("/C/", 1)[1]


def _serial(path: str) -> str:
    return path.split("/C/", 1)[1].split(".")[0]


def _stored(app: Flask, serial: str) -> tuple[int, int]:
    """(item_code.scan_count, scan_event rows) as the database has them."""
    with Session(get_engine(app)) as session:
        item = session.exec(select(ItemCode).where(ItemCode.serial == serial)).one()
        events = session.exec(
            select(func.count()).select_from(ScanEvent).where(ScanEvent.item_code_id == item.id)
        ).one()
        return item.scan_count, int(events)


def _places(app: Flask, serial: str) -> int:
    """The code's `scan_place` rows."""
    with Session(get_engine(app)) as session:
        item_id = session.exec(select(ItemCode.id).where(ItemCode.serial == serial)).one()
        rows = session.exec(select(ScanPlace).where(ScanPlace.item_code_id == item_id)).all()
        return len(rows)


def _scans(client: FlaskClient, path: str, **environ: Any) -> dict[str, Any]:
    response = client.get(path, headers={"Accept": "application/json"}, environ_base=environ)
    assert response.status_code == 200
    scans: dict[str, Any] = response.get_json()["scans"]
    return scans


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """The writer waits an hour here: only an explicit flush (or a full buffer) writes."""
    return {**app_config, "SCAN_FLUSH_SECONDS": 3600}


def test_a_scan_shows_at_once_and_is_written_at_the_next_flush(
    app: Flask, demo: dict[str, Any]
) -> None:
    client, path = app.test_client(), _valid_path(demo)
    assert _scans(client, path)["count"] == 1
    assert _scans(client, path)["count"] == 2
    assert _stored(app, _serial(path)) == (0, 0)
    assert app.extensions["scan_buffer"].flush() == 2
    assert _stored(app, _serial(path)) == (2, 2)
    third = _scans(client, path)
    assert third["count"] == 3 and third["first_at"] is not None


def test_places_count_stored_and_pending_scans_once_each(app: Flask, demo: dict[str, Any]) -> None:
    client, path = app.test_client(), _valid_path(demo)
    _scans(client, path, REMOTE_ADDR="10.1.0.1")
    _scans(client, path, REMOTE_ADDR="10.2.0.1")
    app.extensions["scan_buffer"].flush()
    _scans(client, path, REMOTE_ADDR="10.1.0.9")  # same /16 as the first: not a new place
    assert _scans(client, path, REMOTE_ADDR="10.3.0.1")["places"] == 3


def test_a_full_buffer_is_written_without_waiting_for_the_interval(
    app: Flask, demo: dict[str, Any]
) -> None:
    serial = _serial(_valid_path(demo))
    item_id = _item_id(app, serial)
    buffer = ScanBuffer(get_engine(app), interval=3600, max_pending=5)
    now = datetime.now(UTC)
    for n in range(5):
        buffer.add(item_id, "place", now + timedelta(seconds=n))
    deadline = time.monotonic() + 30  # a wait for the writer thread, not a speed check
    while _stored(app, serial) != (5, 5) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stored(app, serial) == (5, 5)
    assert buffer.size == 0


def _item_id(app: Flask, serial: str) -> int:
    with Session(get_engine(app)) as session:
        item_id = session.exec(select(ItemCode.id).where(ItemCode.serial == serial)).one()
        assert item_id is not None
        return item_id


def test_scans_survive_a_database_outage_and_are_written_when_it_is_back(
    app: Flask, demo: dict[str, Any]
) -> None:
    client, path = app.test_client(), _valid_path(demo)
    buffer: ScanBuffer = app.extensions["scan_buffer"]
    _scans(client, path)
    engine = get_engine(app)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE scan_event RENAME TO scan_event_away"))
    try:
        assert buffer.flush() == 0  # the write fails as a whole …
        assert buffer.size == 1  # … and the scan waits
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE scan_event_away RENAME TO scan_event"))
    assert _scans(client, path)["count"] == 2  # counted in answers all along
    assert buffer.flush() == 2
    assert _stored(app, _serial(path)) == (2, 2)


def test_a_long_outage_keeps_the_newest_max_kept_scans(app: Flask, demo: dict[str, Any]) -> None:
    serial = _serial(_valid_path(demo))
    engine = get_engine(app)
    buffer = ScanBuffer(engine, interval=3600, max_pending=10_000, max_kept=3)
    start = datetime.now(UTC)
    for n in range(5):
        buffer.add(_item_id(app, serial), f"place-{n}", start + timedelta(seconds=n))
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE scan_event RENAME TO scan_event_away"))
    try:
        assert buffer.flush() == 0
        assert buffer.size == 3
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE scan_event_away RENAME TO scan_event"))
    assert buffer.flush() == 3
    with Session(engine) as session:
        places = session.exec(select(ScanEvent.place).order_by(ScanEvent.place)).all()
    assert places == ["place-2", "place-3", "place-4"]


def test_closing_writes_what_is_left(app: Flask, demo: dict[str, Any]) -> None:
    client, path = app.test_client(), _valid_path(demo)
    for _ in range(3):
        _scans(client, path)
    app.extensions["scan_buffer"].close()
    assert _stored(app, _serial(path)) == (3, 3)


def test_zero_interval_writes_each_scan_in_its_request(
    app_config: dict[str, object],
) -> None:
    app = create_app({**app_config, "SCAN_FLUSH_SECONDS": 0})
    try:
        assert app.extensions["scan_buffer"] is None
        with app.app_context(), session_scope(get_engine()) as session:
            report = load_demo(session, app.config)
        client, path = app.test_client(), _valid_path(report)
        assert _scans(client, path)["count"] == 1
        assert _stored(app, _serial(path)) == (1, 1)
    finally:
        get_engine(app).dispose()


def test_each_place_is_stored_once_per_code_however_often_it_scans(
    app: Flask, demo: dict[str, Any]
) -> None:
    """`scan_place` keeps distinct places only: the lookup reads one row per place, not
    one per scan, so a copied label scanned thousands of times costs no more to answer."""
    path = _valid_path(demo)
    with Session(get_engine(app)) as session:
        item_id = session.exec(select(ItemCode.id).where(ItemCode.serial == _serial(path))).one()
    assert item_id is not None
    buffer = ScanBuffer(get_engine(app), interval=3600)
    now = datetime.now(UTC)
    for place in ("market-a", "market-b", "market-a"):
        buffer.add(item_id, place, now)
    assert buffer.flush() == 3
    buffer.add(item_id, "market-a", now)  # a later batch: nothing new
    buffer.add(item_id, "market-c", now)
    assert buffer.flush() == 2
    with Session(get_engine(app)) as session:
        places = session.exec(select(ScanPlace.place).where(ScanPlace.item_code_id == item_id))
        assert sorted(places.all()) == ["market-a", "market-b", "market-c"]
    assert _stored(app, _serial(path)) == (5, 5)
    answer = _scans(app.test_client(), path)
    assert answer["places"] == 4  # the three stored + this request's own place


def test_a_scan_from_a_place_the_code_already_has_writes_its_event_but_no_place(
    app: Flask, demo: dict[str, Any]
) -> None:
    """A label scanned again on the same network: the row was read with its places, so the
    flush skips the place insert (before, every scan re-inserted it, ON CONFLICT DO NOTHING)."""
    from sqlalchemy import event

    client, path = app.test_client(), _valid_path(demo)
    _scans(client, path)  # the first scan from here: its place is new
    buffer = app.extensions["scan_buffer"]
    buffer.flush()
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        again = _scans(client, path)
        assert buffer.flush() == 1
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert again["places"] == 1 and again["count"] == 2
    assert _stored(app, _serial(path)) == (2, 2)  # the scan and its event are written
    assert [s for s in statements if "scan_event" in s and "INSERT" in s]
    assert not [s for s in statements if "scan_place" in s and "INSERT" in s]
    assert _places(app, _serial(path)) == 1
    other = _scans(client, path, REMOTE_ADDR="203.0.113.9")  # another network: a new place
    buffer.flush()
    assert other["places"] == 2 and _places(app, _serial(path)) == 2


def test_workers_flushing_the_same_codes_at_once_write_every_scan(
    app: Flask, demo: dict[str, Any]
) -> None:
    """Two workers' batches touch the same rows; their writes lock them in one order, so
    neither waits for the other forever (a deadlock would fail one flush)."""
    with Session(get_engine(app)) as session:
        item_ids = [i for i in session.exec(select(ItemCode.id)).all() if i is not None]
        before = sum(session.exec(select(ItemCode.scan_count)).all())
    assert len(item_ids) >= 3
    buffers = [ScanBuffer(get_engine(app), interval=3600) for _ in range(2)]
    rounds, written = 10, []
    barrier = threading.Barrier(2)
    now = datetime.now(UTC)

    def worker(buffer: ScanBuffer, ids: list[int]) -> None:
        for _ in range(rounds):
            for item_id in ids:
                buffer.add(item_id, "market-a", now)
            barrier.wait(timeout=30)
            written.append(buffer.flush())

    threads = [
        threading.Thread(target=worker, args=(buffers[0], item_ids)),
        threading.Thread(target=worker, args=(buffers[1], item_ids[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert written == [len(item_ids)] * (2 * rounds)
    with Session(get_engine(app)) as session:
        after = sum(session.exec(select(ItemCode.scan_count)).all())
        events = session.exec(select(func.count()).select_from(ScanEvent)).one()
    assert after - before == 2 * rounds * len(item_ids)
    assert events >= 2 * rounds * len(item_ids)


def test_a_batch_is_written_exactly_whatever_its_places_and_times_hold(
    app: Flask, demo: dict[str, Any]
) -> None:
    """PostgreSQL gets a batch as JSON rows: quotes, commas, braces, backslashes and
    Chinese in a place, and a time's microseconds, must come back as they went in."""
    path = _valid_path(demo)
    with Session(get_engine(app)) as session:
        item_id = session.exec(select(ItemCode.id).where(ItemCode.serial == _serial(path))).one()
    assert item_id is not None
    buffer = ScanBuffer(get_engine(app), interval=3600)
    first = datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=UTC)
    places = ['a"b', "c,d", "{e}", "f\\g", "市场 甲", "NULL"]
    for n, place in enumerate(places):
        buffer.add(item_id, place, first + timedelta(seconds=n))
    assert buffer.flush() == len(places)
    with Session(get_engine(app)) as session:
        events = session.exec(
            select(ScanEvent.place, ScanEvent.at).where(ScanEvent.item_code_id == item_id)
        ).all()
        stored = session.exec(select(ScanPlace.place).where(ScanPlace.item_code_id == item_id))
        item = session.get(ItemCode, item_id)
        assert item is not None
        assert sorted(stored.all()) == sorted(places)
        assert item.first_scan_at == first
        assert item.last_scan_at == first + timedelta(seconds=len(places) - 1)
    assert sorted((place, at) for place, at in events) == sorted(
        (place, first + timedelta(seconds=n)) for n, place in enumerate(places)
    )
