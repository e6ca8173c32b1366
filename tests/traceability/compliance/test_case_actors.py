"""The case page's history (经过) names who acted: the person by their name, a token or a
terminal by its name, in the page's language; a key is shown only when nothing stands
behind it any more."""

from __future__ import annotations

import html
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import add_test, in_session
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.models import Batch, User
from traceability.models.compliance import ComplianceCase
from traceability.models.kiosk import Terminal


def _case_id(app: Flask, batch: Batch) -> int:
    """A failed test on `batch`: the id of the case it opened."""
    add_test(app, batch, inhibition_rate="66")
    return int(
        in_session(
            app,
            lambda s: s.exec(
                select(ComplianceCase.id).where(ComplianceCase.batch_id == batch.id)
            ).one(),
        )
    )


def _record_disposal(client: FlaskClient, case_id: int) -> None:
    path = f"/compliance/cases/{case_id}"
    data = {"csrf_token": form_csrf(client, path), "action": "disposal", "disposal": "就地销毁"}
    assert client.post(path, data=data).status_code == 302


def _history(client: FlaskClient, case_id: int, query: str = "") -> str:
    page = client.get(f"/compliance/cases/{case_id}{query}").get_data(as_text=True)
    start = page.index('<ol class="history">')
    return html.unescape(page[start : page.index("</ol>", start)])


def _user_id(app: Flask, username: str) -> int:
    return int(
        in_session(app, lambda s: s.exec(select(User.id).where(User.username == username)).one())
    )


def test_the_history_names_the_person_not_their_user_key(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    clerk = sign_in(app, client, "wang", role="county_admin", display_name="王建国")
    case_id = _case_id(app, cucumbers)
    _record_disposal(clerk, case_id)
    history = _history(clerk, case_id)
    assert "处置措施：就地销毁 · 王建国" in history
    assert f"user:{_user_id(app, 'wang')}" not in history and "user:" not in history


def test_a_person_without_a_display_name_is_named_by_username(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    clerk = sign_in(app, client, "li-jiance", role="county_admin")
    case_id = _case_id(app, cucumbers)
    _record_disposal(clerk, case_id)
    history = _history(clerk, case_id)
    assert "处置措施：就地销毁 · li-jiance" in history and "user:" not in history


def test_a_token_is_named_by_its_name_in_the_page_language(
    app: Flask, admin: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    case_id = _case_id(app, cucumbers)
    response = admin.post(
        f"/api/v1/cases/{case_id}/disposal", json={"disposal": "就地销毁"}, headers=make_token()
    )
    assert response.status_code == 200
    assert "API 令牌“test”" in _history(admin, case_id)
    english = _history(admin, case_id, "?lang=en")
    assert "API token “test”" in english and "令牌" not in english
    assert "token:" not in english


def _with_actors(app: Flask, case_id: int, *actors: str) -> None:
    """Steps of the case said to be taken by `actors`, one disposal line each."""

    def write(session: Session) -> None:
        case = session.get(ComplianceCase, case_id)
        assert case is not None
        at = "2026-12-05T00:08:00+00:00"
        steps = [
            {"at": at, "what": f"disposal: {actor}", "actor": actor, "event": "disposal"}
            | {"values": {"disposal": f"step {n}"}}
            for n, actor in enumerate(actors)
        ]
        case.history = [*case.history, *steps]
        session.add(case)

    in_session(app, write)


def test_a_terminal_and_the_command_line_are_named_in_the_page_language(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    def add_terminal(session: Session) -> int:
        terminal = Terminal(name="城关市场一号机")
        session.add(terminal)
        session.flush()
        return terminal.id or 0

    terminal_id = in_session(app, add_terminal)
    case_id = _case_id(app, cucumbers)
    _with_actors(app, case_id, f"device:{terminal_id}", "cli:local", "cli:zhang")
    history = _history(admin, case_id)
    assert "step 0 · 终端“城关市场一号机”" in history
    assert "step 1 · 命令行" in history and "step 2 · 命令行（zhang）" in history
    english = _history(admin, case_id, "?lang=en")
    assert "step 0 · Terminal “城关市场一号机”" in english
    assert "step 1 · Command line" in english and "step 2 · Command line (zhang)" in english
    assert "device:" not in history + english and "cli:" not in history + english


def test_an_account_that_is_gone_is_shown_by_its_key(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _case_id(app, cucumbers)
    _with_actors(app, case_id, "user:9999", "token:9999", "lab")
    history = _history(admin, case_id)
    assert "step 0 · user:9999" in history and "step 1 · token:9999" in history
    assert "step 2 · lab" in history
