"""A write that loses a race with another writer is told so (409 or 503), never a 500,
and nothing of the request is saved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from traceability import create_app
from traceability.accounts.service import UserInput, create_user
from traceability.db import get_engine, get_session, session_scope
from traceability.errors import write_clash
from traceability.models import User

JSON = {"Accept": "application/json"}


@pytest.fixture
def service(app_config: dict[str, object]) -> Iterator[Flask]:
    """The real app plus two routes that write the way a losing request does."""
    app = create_app({**app_config, "WTF_CSRF_ENABLED": False})

    @app.post("/_race/duplicate-user")
    def duplicate_user() -> Any:
        session = get_session()
        session.add(User(username="bystander", password_hash="x", role="county_admin"))
        # the check said "free"; meanwhile another request took the name and committed
        session.add(User(username="taken", password_hash="x", role="county_admin"))
        session.commit()
        return jsonify(saved=True)

    @app.post("/_race/stale-update")
    def stale_update() -> Any:
        session = get_session()
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        user = session.exec(select(User).where(User.username == "taken")).one()
        session.add(User(username="bystander", password_hash="x", role="county_admin"))
        with get_engine().begin() as other:  # another writer changes the row we read
            other.execute(
                text("UPDATE app_user SET display_name = 'other' WHERE id = :id"), {"id": user.id}
            )
        user.display_name = "ours"
        session.add(user)
        session.commit()
        return jsonify(saved=True)

    with app.app_context(), session_scope(get_engine()) as session:
        create_user(
            session, UserInput(username="taken", password="a-long-password", role="county_admin")
        )
    yield app
    app.extensions["db_engine"].dispose()


def _usernames(app: Flask) -> set[str]:
    with app.app_context(), session_scope(get_engine()) as session:
        return set(session.exec(select(User.username)).all())


def test_a_name_taken_meanwhile_answers_409_in_both_languages_and_saves_nothing(
    service: Flask,
) -> None:
    response = service.test_client().post("/_race/duplicate-user", headers=JSON)
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "concurrent_change"
    assert "同一时间" in body["message_zh"] and "reload and retry" in body["message_en"]
    assert _usernames(service) == {"taken"}  # the bystander went with the failed write


def test_a_name_taken_meanwhile_shows_a_page_to_a_browser(service: Flask) -> None:
    response = service.test_client().post("/_race/duplicate-user", headers={"Accept": "text/html"})
    assert response.status_code == 409
    assert "同一时间有人保存了相同的内容" in response.get_data(as_text=True)


# PostgreSQL only: SQLite takes the write lock at BEGIN, so a POST's read cannot go stale
# (its own race, giving up on the lock, is the last-but-one test)
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_transaction_the_database_aborted_answers_503_with_retry_after(service: Flask) -> None:
    response = service.test_client().post("/_race/stale-update", headers=JSON)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = response.get_json()
    assert body["error"] == "busy" and "saved nothing" in body["message_en"]
    assert _usernames(service) == {"taken"}
    with service.app_context(), session_scope(get_engine()) as session:
        user = session.exec(select(User).where(User.username == "taken")).one()
    assert user.display_name == "other"  # the other writer's change stands, ours is gone


def test_sqlite_giving_up_on_the_write_lock_is_a_retry(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'lock.db'}", connect_args={"timeout": 0})
    with engine.connect() as holder:
        holder.exec_driver_sql("BEGIN IMMEDIATE")
        with engine.connect() as late, pytest.raises(DBAPIError) as error:
            late.exec_driver_sql("BEGIN IMMEDIATE")
        holder.rollback()
    engine.dispose()
    assert write_clash(error.value) == "retry"


def test_other_database_errors_are_not_taken_for_races(service: Flask) -> None:
    with (
        service.app_context(),
        get_engine().connect() as connection,
        pytest.raises(DBAPIError) as error,
    ):
        connection.execute(text("SELECT * FROM no_such_table"))
    assert write_clash(error.value) is None
