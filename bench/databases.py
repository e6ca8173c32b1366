"""Fresh benchmark databases: migrated, signing key, demo producers, real and filler codes.

Looked-up codes are always really issued (signed, stored by `issue_certificate`); the
rows that only make the table big are bulk-loaded unsigned, in key order, with the
fastest path each backend has (SQLite: executemany in big transactions with
synchronous=OFF; PostgreSQL: COPY).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import col

DEFAULT_POSTGRES_URL = "postgresql+psycopg://traceability:traceability@127.0.0.1:5432/postgres"
FILLER_PER_CERTIFICATE = 10_000
FILLER_SIGNATURE = bytes(range(64))  # never verified: filler codes are never looked up
LOAD_CHUNK = 200_000


# where Debian's PostgreSQL (and most others) put the local socket
SOCKET_DIRS = ("/var/run/postgresql", "/tmp")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def configured_postgres_url() -> str:
    return os.environ.get(
        "BENCH_POSTGRES_URL", os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )


@dataclass(frozen=True)
class PostgresLink:
    """How the benchmark reaches PostgreSQL: its URL, and in words for docs/performance.md."""

    url: str
    transport: str


def postgres_link() -> PostgresLink:
    """The configured server, over its local socket when it runs on this machine.

    docs/deployment.md installs PostgreSQL beside the service and connects over the local
    socket, so that is what the lookup figures measure (over loopback TCP every scan's
    read costs more kernel work on both sides; how much is within the runs' noise, see
    `bench.report.ANALYSIS`). The configured URL
    is used as it is when it names another host, when ``BENCH_POSTGRES_SOCKET=off``, or
    when the socket refuses its login (pg_hba.conf: ``local all <role> scram-sha-256``).
    """
    return _link(configured_postgres_url(), os.environ.get("BENCH_POSTGRES_SOCKET", "auto"))


@cache
def _link(configured: str, socket_setting: str) -> PostgresLink:
    url = make_url(configured)
    tcp = PostgresLink(configured, f"TCP {url.host or 'localhost'}:{url.port or 5432}")
    if socket_setting == "off" or url.host not in LOOPBACK:
        return tcp
    port = url.port or 5432
    for directory in SOCKET_DIRS:
        socket = Path(directory) / f".s.PGSQL.{port}"
        if not socket.exists():
            continue
        local = URL.create(
            url.drivername,
            username=url.username,
            password=url.password,
            database=url.database,
            query={**url.query, "host": directory, "port": str(port)},
        )
        rendered = local.render_as_string(hide_password=False)
        problem = postgres_reachable(rendered)
        if problem is None:
            return PostgresLink(rendered, f"local socket {socket}, as docs/deployment.md installs")
        return PostgresLink(
            configured, f"{tcp.transport} (the local socket refused this login: {problem})"
        )
    return tcp


def postgres_admin_url() -> str:
    return postgres_link().url


def postgres_reachable(admin_url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"{exc.__class__.__name__}: {exc}".splitlines()[0]
    return None


@dataclass
class BenchDatabase:
    """One database and the instance folder (secrets, signing key passphrase) that goes with it."""

    backend: str
    url: str
    home: Path
    admin_url: str | None = None
    app: Flask | None = field(default=None, repr=False)

    def env(self, public_base_url: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": self.url,
                "TRACEABILITY_HOME": str(self.home),
                "PUBLIC_BASE_URL": public_base_url,
                "RATELIMIT_ENABLED": "false",
                "GUNICORN_ACCESS_LOG": "/dev/null",
                "GUNICORN_LOG_LEVEL": "warning",
            }
        )
        return env

    def flask_app(self) -> Flask:
        """An app bound to this database (created once), for domain calls in-process."""
        if self.app is None:
            from traceability import create_app

            self.app = create_app(
                {
                    "DATABASE_URL": self.url,
                    "TRACEABILITY_HOME": str(self.home),
                    "RATELIMIT_ENABLED": False,
                    "PUBLIC_BASE_URL": "http://127.0.0.1",
                }
            )
        return self.app

    def drop(self) -> None:
        if self.app is not None:
            self.app.extensions["db_engine"].dispose()
            self.app = None
        if self.backend == "sqlite":
            path = Path(make_url(self.url).database or "")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        assert self.admin_url is not None
        name = make_url(self.url).database
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def create_database(backend: str, workdir: Path, label: str) -> BenchDatabase:
    """An empty database at the newest schema with a signing key and the demo county."""
    home = workdir / f"home-{label}"
    if backend == "sqlite":
        db = BenchDatabase(backend, f"sqlite:///{workdir / f'{label}.db'}", home)
    else:
        admin = postgres_admin_url()
        name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        db = BenchDatabase(backend, url, home, admin_url=admin)
    _prepare(db)
    return db


def _prepare(db: BenchDatabase) -> None:
    from traceability.db import get_engine, session_scope
    from traceability.demo import load_demo
    from traceability.setup import ensure_ready

    app = db.flask_app()
    with app.app_context():
        ensure_ready(app)
        with session_scope(get_engine()) as session:
            # the workload docs/performance.md was measured on: no rapid tests on the
            # certificates looked up
            load_demo(session, app.config, rapid_tests=False)


def issuable_batch(db: BenchDatabase) -> tuple[int, int]:
    """(producer_id, batch_id) of a demo batch a certificate can be issued for."""
    from traceability.db import get_engine
    from traceability.models import Batch, Producer, ProducerKind

    app = db.flask_app()
    with app.app_context(), get_engine().connect() as connection:
        row = connection.execute(
            select(col(Batch.producer_id), col(Batch.id))
            .join(Producer, col(Producer.id) == col(Batch.producer_id))
            .where(col(Producer.kind) != ProducerKind.PURCHASER)
            .order_by(col(Batch.id))
        ).first()
    assert row is not None and row[1] is not None, "the demo data has no batch to issue for"
    return int(row[0]), int(row[1])


def issue_codes(db: BenchDatabase, count: int, per_certificate: int = 1_000) -> list[str]:
    """Issue `count` real item codes (certificates of `per_certificate`); their URL paths."""
    from traceability import keystore
    from traceability.codes import code_url
    from traceability.db import get_engine, session_scope
    from traceability.issuing.service import IssueRequest, issue_certificate

    producer_id, batch_id = issuable_batch(db)
    app = db.flask_app()
    paths: list[str] = []
    with app.app_context():
        while len(paths) < count:
            items = min(per_certificate, count - len(paths))
            with session_scope(get_engine()) as session:
                key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
                issued = issue_certificate(
                    session,
                    IssueRequest(
                        producer_id=producer_id,
                        batch_id=batch_id,
                        item_count=items,
                        basis=["quality_control"],
                        signature_confirmed=True,
                        channel="bench",
                    ),
                    key,
                    max_items=max(items, 1),
                )
            origin = "HTTP://127.0.0.1"
            paths += [code_url("http://127.0.0.1", c)[len(origin) :] for c in issued.codes]
    return paths


def item_code_count(db: BenchDatabase) -> int:
    from traceability.db import get_engine
    from traceability.models import ItemCode

    with db.flask_app().app_context(), get_engine().connect() as connection:
        return int(connection.execute(select(func.count()).select_from(ItemCode)).scalar_one())


def _template_certificate(db: BenchDatabase) -> dict[str, Any]:
    from traceability.db import get_engine
    from traceability.models import Certificate

    table = Certificate.__table__  # type: ignore[attr-defined]
    with db.flask_app().app_context(), get_engine().connect() as connection:
        row = connection.execute(select(table).order_by(table.c.id.desc())).mappings().first()
    assert row is not None
    return dict(row)


def _add_filler_certificates(db: BenchDatabase, count: int) -> list[int]:
    """Clones of an issued certificate under filler numbers; their ids in order."""
    from traceability.db import get_engine
    from traceability.models import Certificate

    table = Certificate.__table__  # type: ignore[attr-defined]
    template = _template_certificate(db)
    template.pop("id")
    stamp = uuid.uuid4().hex[:6].upper()
    rows = [
        {
            **template,
            "number": f"BENCH-{stamp}-{i:09d}",
            # digits 0, 1, 8, 9 are not base32: never equal to a real group code
            "group_code": f"{i:010d}",
            "item_count": FILLER_PER_CERTIFICATE,
        }
        for i in range(count)
    ]
    with db.flask_app().app_context(), get_engine().begin() as connection:
        connection.execute(insert(table), rows)
        ids = connection.execute(
            select(table.c.id)
            .where(table.c.number.like(f"BENCH-{stamp}-%"))
            .order_by(table.c.number)
        ).scalars()
        return [int(i) for i in ids]


def _filler_rows(certificate_ids: list[int], total: int) -> Iterator[tuple[str, int, int]]:
    """(serial, certificate_id, seq) in serial order; group and item parts use non-base32 digits."""
    made = 0
    for index, certificate_id in enumerate(certificate_ids):
        group = f"{index:010d}"
        for seq in range(1, FILLER_PER_CERTIFICATE + 1):
            if made == total:
                return
            yield f"{group}{seq:016d}", certificate_id, seq
            made += 1


def add_filler_codes(db: BenchDatabase, total_codes: int) -> int:
    """Grow item_code to `total_codes` rows with unsigned filler; how many rows were added."""
    missing = total_codes - item_code_count(db)
    if missing <= 0:
        return 0
    certificates = -(-missing // FILLER_PER_CERTIFICATE)
    ids = _add_filler_certificates(db, certificates)
    kid = str(_template_certificate(db)["kid"])
    rows = _filler_rows(ids, missing)
    if db.backend == "sqlite":
        _load_sqlite(db, rows, kid)
    else:
        _load_postgresql(db, rows, kid)
    return missing


def _load_sqlite(db: BenchDatabase, rows: Iterator[tuple[str, int, int]], kid: str) -> None:
    path = make_url(db.url).database
    assert path
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MB while loading
        sql = (
            "INSERT INTO item_code (serial, certificate_id, seq, kid, signature, scan_count) "
            "VALUES (?, ?, ?, ?, ?, 0)"
        )
        done = False
        while not done:
            chunk = []
            for row in rows:
                chunk.append((*row, kid, FILLER_SIGNATURE))
                if len(chunk) == LOAD_CHUNK * 5:
                    break
            else:
                done = True
            connection.execute("BEGIN")
            connection.executemany(sql, chunk)
            connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _load_postgresql(db: BenchDatabase, rows: Iterator[tuple[str, int, int]], kid: str) -> None:
    url = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    signature = "\\\\x" + FILLER_SIGNATURE.hex()
    with psycopg.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        copy_sql = (
            "COPY item_code (serial, certificate_id, seq, kid, signature, scan_count) FROM STDIN"
        )
        with cursor.copy(copy_sql) as copy:
            lines: list[str] = []
            for serial, certificate_id, seq in rows:
                lines.append(f"{serial}\t{certificate_id}\t{seq}\t{kid}\t{signature}\t0\n")
                if len(lines) == LOAD_CHUNK:
                    copy.write("".join(lines))
                    lines = []
            if lines:
                copy.write("".join(lines))
        cursor.execute("VACUUM ANALYZE item_code")
        cursor.execute("ANALYZE certificate")
