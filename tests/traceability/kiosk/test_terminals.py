"""Registering a kiosk: its labels' layouts and print-head resolution are ones the label
code can draw, of the right kind, or the kiosk is not registered at all."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from printers.layouts import LAYOUTS
from tests.traceability.compliance.conftest import in_session
from traceability.errors import ValidationFailed
from traceability.kiosk.terminals import register_terminal
from traceability.labels import CERTIFICATE_LAYOUTS, ITEM_LAYOUTS
from traceability.models import Terminal


def register(session: Session, **printing: Any) -> Terminal:
    return register_terminal(session, name="清河镇一号机", township_id=None, **printing).terminal


def refusal(app: Flask, **printing: Any) -> ValidationFailed:
    """What registering with these settings is refused with; nothing may be left behind."""

    def work(session: Session) -> ValidationFailed:
        with pytest.raises(ValidationFailed) as refused:
            register(session, **printing)
        assert session.exec(select(Terminal)).all() == []
        return refused.value

    return in_session(app, work)


def test_every_layout_printers_knows_is_either_a_certificate_or_an_item_layout() -> None:
    assert set(CERTIFICATE_LAYOUTS) | set(ITEM_LAYOUTS) == set(LAYOUTS)
    assert not set(CERTIFICATE_LAYOUTS) & set(ITEM_LAYOUTS)
    assert {"certificate-80x60", "certificate-100x70", "label-60x40"} <= set(CERTIFICATE_LAYOUTS)
    assert set(ITEM_LAYOUTS) == {"item-40x30", "item-50x30"}


def test_a_kiosk_is_registered_with_the_layouts_and_dpi_it_was_given(app: Flask) -> None:
    def work(session: Session) -> tuple[str, str, int]:
        terminal = register(
            session, certificate_layout="certificate-100x70", item_layout="item-50x30", dpi=300
        )
        return terminal.certificate_layout, terminal.item_layout, terminal.dpi

    assert in_session(app, work) == ("certificate-100x70", "item-50x30", 300)


@pytest.mark.parametrize(
    ("printing", "field", "zh", "en"),
    [
        ({"certificate_layout": "a4-sheet"}, "certificate_layout", "没有名为", "no layout named"),
        ({"item_layout": "item-99x99"}, "item_layout", "没有名为", "no layout named"),
        ({"certificate_layout": "item-40x30"}, "certificate_layout", "不是合格证版式", "not a"),
        ({"item_layout": "certificate-80x60"}, "item_layout", "不是单品标签版式", "not a"),
    ],
)
def test_an_unknown_layout_or_one_of_the_wrong_kind_is_refused_naming_the_field(
    app: Flask, printing: dict[str, str], field: str, zh: str, en: str
) -> None:
    refused = refusal(app, **printing)
    assert (refused.status, refused.code, refused.details) == (
        422,
        "invalid_layout",
        {"field": field},
    )
    assert zh in refused.message_zh and field in refused.message_zh
    assert en in refused.message_en and field in refused.message_en
    known = CERTIFICATE_LAYOUTS if field == "certificate_layout" else ITEM_LAYOUTS
    assert all(name in refused.message_zh and name in refused.message_en for name in known)


@pytest.mark.parametrize("dpi", [0, 200, 600])
def test_a_dpi_the_layouts_are_not_drawn_for_is_refused(app: Flask, dpi: int) -> None:
    refused = refusal(app, dpi=dpi)
    assert (refused.status, refused.code, refused.details) == (422, "invalid_dpi", {"field": "dpi"})
    assert "203 或 300" in refused.message_zh and "dpi" in refused.message_zh
    assert "203 or 300" in refused.message_en and str(dpi) in refused.message_en


@pytest.fixture
def admin(make_token: Any) -> dict[str, str]:
    return dict(make_token("county_admin"))


def post_terminal(client: FlaskClient, admin: dict[str, str], **fields: Any) -> Any:
    return client.post("/api/v1/terminals", json={"name": "清河镇一号机", **fields}, headers=admin)


def stored(app: Flask) -> list[tuple[str, str, int]]:
    return in_session(
        app,
        lambda s: [
            (t.certificate_layout, t.item_layout, t.dpi) for t in s.exec(select(Terminal)).all()
        ],
    )


def test_the_api_registers_a_kiosk_with_its_layouts_and_dpi(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    printing = {"certificate_layout": "label-60x40", "item_layout": "item-50x30", "dpi": 300}
    response = post_terminal(client, admin, **printing)
    assert response.status_code == 201
    assert stored(app) == [("label-60x40", "item-50x30", 300)]


def test_the_api_defaults_to_the_80x60_certificate_and_40x30_items_at_203_dpi(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    assert post_terminal(client, admin).status_code == 201
    assert stored(app) == [("certificate-80x60", "item-40x30", 203)]


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"certificate_layout": "a4-sheet"}, "invalid_layout", "certificate_layout"),
        ({"item_layout": "receipt-58"}, "invalid_layout", "item_layout"),
        ({"dpi": 600}, "invalid_dpi", "dpi"),
        ({"dpi": "300"}, "invalid_field", "dpi"),
        ({"dpi": True}, "invalid_field", "dpi"),
    ],
)
def test_the_api_refuses_bad_printing_settings_with_a_422_naming_the_field(
    app: Flask, client: FlaskClient, admin: dict[str, str], fields: dict[str, Any], code: str,
    field: str,
) -> None:  # fmt: skip
    response = post_terminal(client, admin, **fields)
    assert response.status_code == 422
    body = response.get_json()
    assert (body["error"], body["details"]) == (code, {"field": field})
    assert field in body["message_zh"] and field in body["message_en"]
    assert stored(app) == []
