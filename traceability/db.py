"""Engine and session handling.

Views get one session per request through `get_session()`; domain functions take
the session as an argument so the CLI and tests can call them without Flask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from traceability.whole_numbers import MAX_INTEGER_ID

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings each backend needs to be safe under load."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # We emit BEGIN ourselves (below), so pysqlite must not; see SQLAlchemy's
            # "Serializable isolation / Savepoints / Transactional DDL" notes for pysqlite.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


def init_app(app: Flask) -> None:
    app.extensions["db_engine"] = make_engine(app.config["DATABASE_URL"])

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()
        for task in g.pop("after_session", []):
            try:
                task(get_engine(app))
            except Exception:  # bookkeeping must never turn an answer into an error
                log.warning("after-session task failed", exc_info=True)


def after_session(task: Callable[[Engine], object]) -> None:
    """Run `task(engine)` once the request's session is closed (and its locks released).

    For small bookkeeping writes (a token's last use) that must not join the request's
    transaction: they count even when the request failed or only read.
    """
    g.setdefault("after_session", []).append(task)


def get_engine(app: Flask | None = None) -> Engine:
    engine: Engine = (app or current_app).extensions["db_engine"]
    return engine


def get_session() -> Session:
    """The request's session, created on first use and closed at teardown."""
    session: Session | None = g.get("db_session")
    if session is None:
        engine = get_engine()
        if has_request_context() and request.method not in SAFE_METHODS:
            # A request that writes takes SQLite's write lock when its transaction begins:
            # a deferred transaction that reads first and writes later fails with
            # "database is locked" when another writer got in between (no effect elsewhere).
            engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        session = Session(engine, expire_on_commit=False)
        g.db_session = session
    return session


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (CLI, scripts)."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_write(session: Session) -> None:
    """Start a write transaction that takes the write lock at once.

    On SQLite a deferred transaction that reads first and writes later can fail with
    "database is locked" when another writer got in between; BEGIN IMMEDIATE queues
    instead. PostgreSQL needs nothing special.
    """
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


@contextmanager
def side_write(session: Session) -> Iterator[Connection]:
    """A connection for a small write beside the request's work (counters, last-used times).

    It commits on its own, in a short transaction that takes the write lock at once, so a
    read-only request does not become a writer. When the session already holds SQLite's
    write lock (requests that write begin IMMEDIATE), a second connection would wait on
    our own lock: then the write joins the session's transaction instead.
    """
    own = session.connection()
    if own.get_execution_options().get("sqlite_begin") == "IMMEDIATE":
        yield own
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with engine.connect() as raw:
        connection = raw.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection


_Record = TypeVar("_Record")


def record_by_id(session: Session, model: type[_Record], record_id: int | None) -> _Record | None:
    """`session.get`, for a number a person typed: one no id column holds is no record.

    Past `MAX_INTEGER_ID` PostgreSQL refuses to compare the number with an `integer` id
    (SQLSTATE 22003, the generic out-of-range answer) where SQLite finds nothing; asked
    here, both find nothing and the caller says which record is missing.
    """
    if record_id is None or not 0 < record_id <= MAX_INTEGER_ID:
        return None
    return session.get(model, record_id)
