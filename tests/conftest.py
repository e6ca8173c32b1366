"""Fixtures shared by the whole suite.

Every database test runs twice: on SQLite and on a real PostgreSQL. Without a
reachable PostgreSQL the PostgreSQL half is skipped with the reason shown; under
CI (CI=true) a missing PostgreSQL fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.missing_tools import IN_CI
from traceability import create_app, migrate

PG_URL = os.environ.get(
    "TEST_POSTGRES_URL",
    "postgresql+psycopg://traceability:traceability@127.0.0.1:5432/postgres",
)
BACKENDS = ["sqlite", "postgresql"]


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        where = make_url(PG_URL).render_as_string()
        return f"PostgreSQL not reachable at {where}: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    return PG_URL


def _create_pg_database(admin_url: str, template: str | None = None) -> str:
    name = f"trace_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        suffix = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(10):
            try:
                with engine.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except Exception:  # an autovacuum worker we may not end: it finishes soon
                if attempt == 9:
                    raise
                time.sleep(0.5)
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """An empty database on the parametrised backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = request.getfixturevalue("postgres_admin_url")
    url = _create_pg_database(admin)
    try:
        yield url
    finally:
        _drop_pg_database(admin, url)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "head.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_template(postgres_admin_url: str) -> Iterator[str]:
    url = _create_pg_database(postgres_admin_url)
    migrate.upgrade(url)
    try:
        yield str(make_url(url).database)
    finally:
        _drop_pg_database(postgres_admin_url, url)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database on the parametrised backend, already at the newest schema revision."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("postgres_admin_url")
    template_name = request.getfixturevalue("_postgres_template")
    url = _create_pg_database(admin, template=template_name)
    try:
        yield url
    finally:
        _drop_pg_database(admin, url)


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, object]:
    home = tmp_path / "instance"
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "TRACEABILITY_HOME": str(home),
        "RATELIMIT_ENABLED": False,
        "PUBLIC_BASE_URL": "http://localhost",
    }


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    application = create_app(app_config)
    yield application
    buffer = application.extensions["scan_buffer"]
    if buffer is not None:
        buffer.close()  # write this test's last scans before its database goes away
    application.extensions["db_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo(app: Flask) -> dict[str, object]:
    """The demo county loaded (with an active signing key and three demo certificates),
    also after a test's own accounts were made. Without the demo's rapid tests: specs
    record the tests they speak of (test_demo_tests.py covers the demo's own)."""
    from traceability.db import get_engine, session_scope
    from traceability.demo import load_demo

    with app.app_context(), session_scope(get_engine()) as session:
        return load_demo(session, app.config, beside_accounts=True, rapid_tests=False)


@pytest.fixture
def make_token(app: Flask) -> Callable[..., dict[str, str]]:
    """Create an API token: make_token(role, producer_id=None) -> bearer header dict."""
    from traceability.auth.tokens import create_token
    from traceability.db import get_engine, session_scope

    def _make(role: str = "county_admin", producer_id: int | None = None) -> dict[str, str]:
        with app.app_context(), session_scope(get_engine()) as session:
            _, secret = create_token(session, name="test", role=role, producer_id=producer_id)
        return {"Authorization": f"Bearer {secret}"}

    return _make
