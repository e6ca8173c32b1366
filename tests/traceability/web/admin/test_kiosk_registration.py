"""Township staff register a kiosk from /admin/kiosks, not with curl.

The page does what `POST /api/v1/terminals` does: the kiosk is registered in a township
the person may act for, its one-time enrolment code is shown once (and works once), and
who registered it is on the audit log.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from tests.traceability.signing_in import form_csrf, sign_in
from traceability.db import get_engine, session_scope
from traceability.kiosk.terminals import enrol
from traceability.models import AuditEntry, Region, Terminal

CODE = re.compile(r'<pre class="secret" id="enrolment-code">([^<]+)</pre>')


def _township(app: Flask, name: str) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        found = session.exec(select(Region.id).where(Region.name == name)).one()
        assert found is not None
        return found


def _terminals(app: Flask) -> list[tuple[str, int | None]]:
    with app.app_context(), session_scope(get_engine()) as session:
        rows = session.exec(select(Terminal).order_by(col(Terminal.id))).all()
        return [(t.name, t.township_id) for t in rows]


def _register(client: FlaskClient, **values: Any) -> Any:
    data = {"csrf_token": form_csrf(client, "/admin/kiosks/new"), "driver": "tspl", **values}
    return client.post("/admin/kiosks/new", data=data)


def test_a_supervisor_registers_a_kiosk_and_sees_its_code_once(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    town = _township(app, "城关街道")
    sign_in(app, client, "sup", role="township_supervisor", township_ids=[town])
    listing = client.get("/admin/kiosks").get_data(as_text=True)
    assert 'href="/admin/kiosks/new"' in listing and "开通码" in listing  # the empty list says how
    form = client.get("/admin/kiosks/new").get_data(as_text=True)
    assert "城关街道" in form and "清河镇" not in form  # only its own township is offered
    page = _register(client, name="城关一号机", township_id=town, site="农业服务中心")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    code = CODE.search(html)
    assert code and f"--enrol {code.group(1)}" in html
    assert _terminals(app) == [("城关一号机", town)]
    with app.app_context(), session_scope(get_engine()) as session:
        terminal, credential = enrol(session, code.group(1))
        assert terminal.name == "城关一号机" and credential
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "terminal.register")
        ).one()
        assert entry.actor.startswith("user:") and entry.role == "township_supervisor"
    assert "城关一号机" in client.get("/admin/kiosks").get_data(as_text=True)


def test_a_supervisor_cannot_register_a_kiosk_in_another_township(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(
        app, client, "sup", role="township_supervisor", township_ids=[_township(app, "城关街道")]
    )
    response = _register(client, name="别处的机器", township_id=_township(app, "清河镇"))
    assert response.status_code in (403, 422)
    assert _terminals(app) == []


def test_a_missing_name_is_said_and_nothing_is_registered(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "county", role="county_admin")
    response = _register(client, name="", township_id=_township(app, "石门乡"))
    assert response.status_code == 422
    assert 'class="field invalid"' in response.get_data(as_text=True)
    assert _terminals(app) == []


def test_other_roles_are_not_offered_the_page(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "tester", role="rapid_test_operator")
    assert client.get("/admin/kiosks/new").status_code == 403
