"""Township staff change a registered kiosk from /admin/kiosks: another printer, other
layouts, a new name or place. The kiosk keeps its credential; refused values are said beside
their field and change nothing; a supervisor changes only its own townships' kiosks."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.signing_in import form_csrf, sign_in
from traceability.db import get_engine, session_scope
from traceability.kiosk.terminals import register_terminal, revoke_terminal
from traceability.models import AuditEntry, Region, Terminal


def _township(app: Flask, name: str) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        found = session.exec(select(Region.id).where(Region.name == name)).one()
        assert found is not None
        return found


def _kiosk(app: Flask, township: str, name: str = "城关一号机") -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        terminal = register_terminal(session, name=name, township_id=_township(app, township))
        return terminal.terminal.id or 0


def _printing(app: Flask, terminal_id: int) -> tuple[str, str, str, str, int]:
    with app.app_context(), session_scope(get_engine()) as session:
        t = session.get(Terminal, terminal_id)
        assert t is not None
        return t.name, t.driver, t.certificate_layout, t.item_layout, t.dpi


def _edit(client: FlaskClient, terminal_id: int, **values: Any) -> Any:
    url = f"/admin/kiosks/{terminal_id}/edit"
    data = {
        "csrf_token": form_csrf(client, "/admin/kiosks/new"),  # the session's, for any form
        "name": "城关一号机",
        "site": "",
        "printer_model": "",
        "driver": "tspl",
        "certificate_layout": "certificate-80x60",
        "item_layout": "item-40x30",
        "dpi": "203",
        **values,
    }
    return client.post(url, data=data)


def test_a_supervisor_changes_its_kiosks_printer_from_the_list(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    town = _township(app, "城关街道")
    terminal_id = _kiosk(app, "城关街道")
    sign_in(app, client, "sup", role="township_supervisor", township_ids=[town])
    listing = client.get("/admin/kiosks").get_data(as_text=True)
    assert f'href="/admin/kiosks/{terminal_id}/edit"' in listing
    form = client.get(f"/admin/kiosks/{terminal_id}/edit").get_data(as_text=True)
    assert 'value="城关一号机"' in form and '<option selected value="certificate-80x60">' in form
    response = _edit(
        client, terminal_id, township_id=town, name="城关二号机", driver="zpl",
        certificate_layout="label-60x40", item_layout="item-50x30", dpi="300",
    )  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/kiosks")
    assert _printing(app, terminal_id) == ("城关二号机", "zpl", "label-60x40", "item-50x30", 300)
    with app.app_context(), session_scope(get_engine()) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "terminal.update")).one()
        assert entry.role == "township_supervisor" and entry.after and entry.after["dpi"] == 300


def test_a_refused_combination_is_said_beside_its_field_and_changes_nothing(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    town = _township(app, "城关街道")
    terminal_id = _kiosk(app, "城关街道")
    sign_in(app, client, "county", role="county_admin")
    response = _edit(client, terminal_id, township_id=town, name="改名", driver="escpos")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    invalid = html.split('class="field invalid"', 1)[1]
    assert 'name="certificate_layout"' in invalid.split("</label>", 1)[0]
    assert "ESCPOS 打印机不能打印版式" in invalid.split("</label>", 1)[0]
    assert _printing(app, terminal_id) == (
        "城关一号机", "tspl", "certificate-80x60", "item-40x30", 203,
    )  # fmt: skip


def test_a_supervisor_cannot_change_or_move_a_kiosk_outside_its_townships(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    own, other = _township(app, "城关街道"), _township(app, "清河镇")
    theirs, mine = _kiosk(app, "清河镇", "清河一号机"), _kiosk(app, "城关街道")
    sign_in(app, client, "sup", role="township_supervisor", township_ids=[own])
    assert f"/admin/kiosks/{theirs}/edit" not in client.get("/admin/kiosks").get_data(as_text=True)
    assert client.get(f"/admin/kiosks/{theirs}/edit").status_code == 403
    assert _edit(client, theirs, township_id=own, dpi="300").status_code == 403
    assert _edit(client, mine, township_id=other).status_code in (403, 422)
    assert _printing(app, theirs)[4] == 203
    with app.app_context(), session_scope(get_engine()) as session:
        assert session.get(Terminal, mine).township_id == own  # type: ignore[union-attr]


def test_a_revoked_kiosk_cannot_be_changed_and_other_roles_are_refused(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    terminal_id = _kiosk(app, "城关街道")
    with app.app_context(), session_scope(get_engine()) as session:
        revoke_terminal(session, terminal_id)
    sign_in(app, client, "county", role="county_admin")
    assert client.get(f"/admin/kiosks/{terminal_id}/edit").status_code == 409
    assert client.get("/admin/kiosks/999999/edit").status_code == 404
    client.post("/logout")
    sign_in(app, client, "tester", role="rapid_test_operator")
    assert client.get(f"/admin/kiosks/{terminal_id}/edit").status_code == 403


def _county_level_kiosk(app: Flask) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        terminal = register_terminal(session, name="县农业局一号机", township_id=None)
        return terminal.terminal.id or 0


def _township_of(app: Flask, terminal_id: int) -> int | None:
    with app.app_context(), session_scope(get_engine()) as session:
        terminal = session.get(Terminal, terminal_id)
        assert terminal is not None
        return terminal.township_id


def test_a_county_level_kiosk_stays_county_level_when_its_printer_is_changed(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """Saving the form used to put it in the first township listed (no option said none)."""
    terminal_id = _county_level_kiosk(app)
    sign_in(app, client, "county", role="county_admin")
    form = client.get(f"/admin/kiosks/{terminal_id}/edit").get_data(as_text=True)
    assert '<option selected value="0">县级（不属于任何乡镇）</option>' in form
    response = _edit(client, terminal_id, township_id="0", name="县农业局一号机", driver="zpl")
    assert response.status_code == 302
    assert _township_of(app, terminal_id) is None
    assert _printing(app, terminal_id)[1] == "zpl"
    town = _township(app, "清河镇")  # and a county admin may still move it to a township
    assert _edit(client, terminal_id, township_id=town).status_code == 302
    assert _township_of(app, terminal_id) == town


def test_a_county_admin_registers_a_county_level_kiosk_a_supervisor_cannot(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    town = _township(app, "城关街道")
    sign_in(app, client, "sup", role="township_supervisor", township_ids=[town])
    page = client.get("/admin/kiosks/new").get_data(as_text=True)
    assert "县级（不属于任何乡镇）" not in page
    mine = _kiosk(app, "城关街道")
    assert _edit(client, mine, township_id="0").status_code in (403, 422)
    assert _township_of(app, mine) == town
    client.post("/logout")
    sign_in(app, client, "county", role="county_admin")
    data = {
        "csrf_token": form_csrf(client, "/admin/kiosks/new"),
        "name": "县农业局二号机",
        "township_id": "0",
        "driver": "tspl",
        "certificate_layout": "certificate-80x60",
        "item_layout": "item-40x30",
        "dpi": "203",
    }
    assert client.post("/admin/kiosks/new", data=data).status_code == 200
    with app.app_context(), session_scope(get_engine()) as session:
        made = session.exec(select(Terminal).where(Terminal.name == "县农业局二号机")).one()
        assert made.township_id is None
