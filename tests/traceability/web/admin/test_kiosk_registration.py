"""Township staff register a kiosk from /admin/kiosks, not with curl.

The page does what `POST /api/v1/terminals` does: the kiosk is registered in a township
the person may act for, its one-time enrolment code is shown once (and works once), and
who registered it is on the audit log.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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


def test_township_staff_set_a_producers_pin_and_print_the_card(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """The PIN a smallholder signs in with at the kiosk is set at the township office, not
    only with `traceability kiosk set-pin`; a reset also lifts a lockout."""
    from traceability.kiosk.signin import sign_in as kiosk_sign_in
    from traceability.models import Producer
    from traceability.models.producer_credential import ProducerCredential
    from traceability.registry.scope import township_of_producer

    town = _township(app, "石门乡")
    with app.app_context(), session_scope(get_engine()) as session:
        producer_id = next(
            p.id
            for p in session.exec(select(Producer)).all()
            if township_of_producer(session, p.id or 0) == town
        )
        assert producer_id is not None
        # locked out after wrong PINs at the kiosk: the reset below lifts it
        credential = session.get(ProducerCredential, producer_id)
        if credential is not None:
            credential.locked_until = datetime.now(UTC) + timedelta(minutes=15)
    sign_in(app, client, "sup", role="township_supervisor", township_ids=[town])
    page = client.get(f"/admin/producers/{producer_id}").get_data(as_text=True)
    assert 'id="kiosk-card"' in page
    csrf = form_csrf(client, f"/admin/producers/{producer_id}")
    bad = client.post(
        f"/admin/producers/{producer_id}/pin", data={"csrf_token": csrf, "pin": "12ab"}
    )
    assert bad.status_code == 302
    assert "PIN 须为 4–8 位数字" in client.get(f"/admin/producers/{producer_id}").get_data(
        as_text=True
    )
    done = client.post(
        f"/admin/producers/{producer_id}/pin", data={"csrf_token": csrf, "pin": "246810"}
    )
    assert done.status_code == 302
    page = client.get(f"/admin/producers/{producer_id}").get_data(as_text=True)
    assert "PIN 已设置" in page and f"/admin/producers/{producer_id}/card.png" in page
    card = client.get(f"/admin/producers/{producer_id}/card.png")
    assert card.status_code == 200 and card.mimetype == "image/png"
    with app.app_context(), session_scope(get_engine()) as session:
        assert kiosk_sign_in(session, str(producer_id), "246810") is not None


def test_a_supervisor_cannot_set_a_pin_outside_its_townships(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    from traceability.models import Producer
    from traceability.models.producer_credential import ProducerCredential
    from traceability.registry.scope import township_of_producer

    with app.app_context(), session_scope(get_engine()) as session:
        outside = next(
            p.id
            for p in session.exec(select(Producer)).all()
            if township_of_producer(session, p.id or 0) != _township(app, "城关街道")
        )
        before = session.get(ProducerCredential, outside)
        before_hash = before.pin_hash if before else None
    sign_in(
        app, client, "sup", role="township_supervisor", township_ids=[_township(app, "城关街道")]
    )
    csrf = form_csrf(client, "/admin/kiosks")
    answer = client.post(
        f"/admin/producers/{outside}/pin", data={"csrf_token": csrf, "pin": "1111"}
    )
    assert answer.status_code == 403
    with app.app_context(), session_scope(get_engine()) as session:
        after = session.get(ProducerCredential, outside)
        assert (after.pin_hash if after else None) == before_hash


def test_the_page_registers_the_layouts_and_dpi_chosen(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "county", role="county_admin")
    form = client.get("/admin/kiosks/new").get_data(as_text=True)
    assert 'value="certificate-100x70"' in form and 'value="item-50x30"' in form
    page = _register(
        client,
        name="石门一号机",
        township_id=_township(app, "石门乡"),
        certificate_layout="certificate-100x70",
        item_layout="item-50x30",
        dpi="300",
    )
    assert page.status_code == 200
    with app.app_context(), session_scope(get_engine()) as session:
        terminal = session.exec(select(Terminal)).one()
        assert (terminal.certificate_layout, terminal.item_layout, terminal.dpi) == (
            "certificate-100x70",
            "item-50x30",
            300,
        )


def test_a_certificate_layout_offered_as_the_item_layout_is_refused_and_nothing_registered(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "county", role="county_admin")
    response = _register(
        client,
        name="石门一号机",
        township_id=_township(app, "石门乡"),
        item_layout="certificate-80x60",
    )
    assert response.status_code == 422
    fields = response.get_data(as_text=True).split("<label")
    invalid = [f for f in fields if f.startswith(' class="field invalid"')]
    assert len(invalid) == 1 and 'name="item_layout"' in invalid[0]
    assert _terminals(app) == []


def test_a_receipt_layout_for_a_label_printer_is_refused_on_its_field(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """The page checks what the API checks: a TSPL label printer cannot print a receipt."""
    sign_in(app, client, "county", role="county_admin")
    response = _register(
        client, name="石门一号机", township_id=_township(app, "石门乡"),
        certificate_layout="receipt-58", item_layout="item-40x30", dpi="203",
    )  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    [invalid] = re.findall(r'<label class="field invalid">(.*?)</label>', html, re.S)
    assert 'name="certificate_layout"' in invalid
    [error] = re.findall(r'<small class="error">([^<]+)</small>', invalid)
    assert "TSPL" in error and "receipt-58" in error and "item-40x30" in error
    assert _terminals(app) == []
