"""The public lookup reads a code's row on a bare pooled connection; it must read exactly
what the session's query reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from traceability.db import get_engine, make_engine
from traceability.issuing.revocation import revoke_item
from traceability.lookup.scans import ScanBuffer
from traceability.lookup.service import (
    PLACES_COUNTED,
    ItemFacts,
    ItemReader,
    read_item,
)
from traceability.models import ItemCode, RevocationEvent

START = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def serial(demo: dict[str, Any]) -> str:
    url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    return str(url.split("/C/", 1)[1].split(".")[0])


def _both(app: Flask, serial: str) -> tuple[ItemFacts | None, ItemFacts | None]:
    """(the reader's answer, the session query's answer) for one serial."""
    engine = get_engine(app)
    with Session(engine) as session:
        in_session = read_item(session, serial)
    return ItemReader(engine).read(serial), in_session


def _store_scans(app: Flask, serial: str, places: list[str]) -> None:
    """Scans written by the scan writer itself: counts, one event each, new places."""
    engine = get_engine(app)
    with engine.connect() as connection:
        item_id = connection.execute(
            select(ItemCode.id).where(ItemCode.serial == serial)
        ).scalar_one()
    buffer = ScanBuffer(engine, interval=3600, max_pending=10**9)
    for n, place in enumerate(places):
        buffer.add(item_id, place, START + timedelta(seconds=n))
    assert buffer.flush() == len(places)


def test_a_fresh_code_reads_the_same_both_ways(app: Flask, serial: str) -> None:
    read, expected = _both(app, serial)
    assert read == expected
    assert read is not None
    with Session(get_engine(app)) as session:
        stored = session.exec(select(ItemCode).where(ItemCode.serial == serial)).one()
    assert (read.id, read.seq, read.kid, read.certificate_id, read.signature) == (
        stored.id,
        stored.seq,
        stored.kid,
        stored.certificate_id,
        stored.signature,
    )
    assert type(read.signature) is bytes
    assert (read.scan_count, read.first_scan_at, read.stored_places) == (0, None, frozenset())
    assert (read.revoked_reason, read.revoked_at) == (None, None)


def test_a_code_scanned_from_several_places_reads_the_same_both_ways(
    app: Flask, serial: str
) -> None:
    _store_scans(app, serial, ["a1b2c3d4e5f60708", "0f0e0d0c0b0a0908", "a1b2c3d4e5f60708", "ffff"])
    read, expected = _both(app, serial)
    assert read == expected
    assert read is not None
    assert read.scan_count == 4
    assert read.stored_places == {"a1b2c3d4e5f60708", "0f0e0d0c0b0a0908", "ffff"}
    assert read.first_scan_at == START
    assert read.first_scan_at is not None and read.first_scan_at.utcoffset() == timedelta(0)


def test_a_code_revoked_on_its_own_reads_the_same_both_ways(app: Flask, serial: str) -> None:
    with Session(get_engine(app)) as session:
        revoke_item(session, serial, "标签破损，已重新打印", actor="test")
        session.commit()
        event = session.exec(select(RevocationEvent).where(RevocationEvent.serial == serial)).one()
        revoked_at = event.at
    read, expected = _both(app, serial)
    assert read == expected
    assert read is not None
    assert read.revoked_reason == "标签破损，已重新打印"
    assert read.revoked_at == revoked_at
    assert read.revoked_at is not None and read.revoked_at.utcoffset() == timedelta(0)


def test_an_unknown_serial_reads_none_both_ways(app: Flask, demo: dict[str, Any]) -> None:
    assert _both(app, "A" * 26) == (None, None)


def test_a_place_counts_however_many_scans_came_after_it(app: Flask, serial: str) -> None:
    _store_scans(app, serial, ["old-place", *["new-place"] * 1500])
    read, expected = _both(app, serial)
    assert read == expected
    assert read is not None
    assert read.stored_places == {"new-place", "old-place"}
    assert read.scan_count == 1501  # the count itself is never capped


def test_places_are_counted_up_to_places_counted(app: Flask, serial: str) -> None:
    _store_scans(app, serial, [f"place-{n:03d}" for n in range(PLACES_COUNTED + 20)])
    read, expected = _both(app, serial)
    assert read == expected
    assert read is not None and len(read.stored_places) == PLACES_COUNTED


@pytest.fixture
def one_connection_engine(app: Flask) -> Iterator[Engine]:
    """An engine with a single pooled connection: the reader's and the next session's."""
    engine = make_engine(app.config["DATABASE_URL"], pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_the_reader_leaves_its_pooled_connection_transactional(
    one_connection_engine: Engine, serial: str
) -> None:
    assert ItemReader(one_connection_engine).read(serial) is not None
    with Session(one_connection_engine) as session:
        revoke_item(session, serial, "应被回滚", actor="test")
        session.rollback()
    with Session(one_connection_engine) as session:
        events = session.exec(select(RevocationEvent).where(RevocationEvent.serial == serial))
        assert events.all() == []


def test_a_reader_whose_connection_died_reads_again_on_a_new_one(app: Flask, serial: str) -> None:
    """A restarted database or a killed backend costs one failed try, not a failed scan."""
    engine = get_engine(app)
    reader = ItemReader(engine)
    first = reader.read(serial)
    assert first is not None
    dead = reader._connection()
    if engine.dialect.name == "postgresql":
        backend_pid = dead.info.backend_pid
        with engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({backend_pid})")
    else:
        dead.close()
    assert reader.read(serial) == first
    assert reader._connection() is not dead
    assert reader.read("A" * 26) is None
