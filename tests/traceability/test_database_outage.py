"""A database that cannot be reached: a 503 a phone or scanner retries, never a 500.

The same for the commands: one line saying the database cannot be reached and why (in the
driver's words), not a traceback. A PostgreSQL restart between two requests is not even
seen: the pool checks a connection before it lends it (pool_pre_ping).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, text

from tests.e2e.server import free_port, traceability_cli
from traceability import create_app

PASSWORD = "pw-not-to-be-shown"


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A server that refuses the connection (a port nothing listens on), or a SQLite file
    that cannot be opened."""
    if request.param == "postgresql":
        return f"postgresql+psycopg://trace:{PASSWORD}@127.0.0.1:{free_port()}/traceability"
    return f"sqlite:///{tmp_path / 'no such folder' / 'traceability.db'}"


@pytest.fixture
def outage(app_config: dict[str, object], unreachable_url: str) -> Iterator[Flask]:
    application = create_app({**app_config, "DATABASE_URL": unreachable_url})
    yield application
    application.extensions["db_engine"].dispose()


def _code_path(demo: dict[str, Any]) -> str:
    url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    return "/C/" + url.split("/C/", 1)[1]


def test_a_scan_while_the_database_is_down_is_a_503_to_retry_in_both_languages(
    demo: dict[str, Any], outage: Flask
) -> None:
    client = outage.test_client()
    page = client.get(_code_path(demo))
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "系统暂时无法查询，请稍后再试" in page.get_data(as_text=True)
    answer = client.get(_code_path(demo), headers={"Accept": "application/json"})
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["error"] == "database_unavailable"
    assert (
        body["message_en"] == "The service cannot look this up right now; please try again shortly."
    )


def test_an_api_call_while_the_database_is_down_is_a_503_not_a_500(
    make_token: Any, outage: Flask
) -> None:
    token = make_token("county_admin")  # made while the database was there
    answer = outage.test_client().get("/api/v1/certificates/HGZ1", headers=token)
    assert answer.status_code == 503
    assert answer.get_json()["error"] == "database_unavailable"


def test_a_write_while_the_database_is_down_is_a_503_to_retry(
    make_token: Any, outage: Flask
) -> None:
    token = make_token("county_admin")
    answer = outage.test_client().post(
        "/api/v1/certificates", json={"producer_id": 1, "items": 1}, headers=token
    )
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    body = answer.get_json()
    assert body["message_zh"] == "数据库暂时无法连接，请稍后重试。"
    assert (
        body["message_en"] == "The database cannot be reached right now; please try again shortly."
    )


def test_a_command_says_in_one_line_that_the_database_cannot_be_reached(
    unreachable_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "TRACEABILITY_HOME": str(tmp_path / "home"),
        "DATABASE_URL": unreachable_url,
    }
    done = traceability_cli(env, "db", "current", check=False)
    assert done.returncode == 1
    assert "无法连接数据库" in done.stderr and "Cannot reach the database" in done.stderr
    assert "Traceback" not in done.stderr and PASSWORD not in done.stderr


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_postgresql_restart_between_two_scans_is_not_seen_by_the_second(
    app: Flask, demo: dict[str, Any], postgres_admin_url: str
) -> None:
    """Every connection the pool holds is cut, as a server restart would; the next scan
    gets a fresh one."""
    client = app.test_client()
    json_scan = {"Accept": "application/json"}
    assert client.get(_code_path(demo), headers=json_scan).status_code == 200
    database = make_url(str(app.config["DATABASE_URL"])).database
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            cut = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            ).scalar_one()
    finally:
        admin.dispose()
    assert cut >= 1
    assert client.get(_code_path(demo), headers=json_scan).status_code == 200
