"""What product management is for: a producer registered today gets a product on its kiosk
grid and issues with it; a deactivated product leaves the grid and takes no certificate."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from traceability.auth.tokens import create_token
from traceability.db import get_engine, session_scope
from traceability.kiosk import terminals
from traceability.kiosk.signin import set_pin
from traceability.models import Certificate

PIN = "246810"
NEW_PRODUCER = {
    "kind": "smallholder",
    "name": "张三",
    "id_number": "11010519491231002X",
    "phone": "15800001111",
    "division_code": "379901001201",  # 城关街道 东关村
    "address": "东关村三组",
}
TOMATOES = {"name": "番茄", "category": "vegetable", "default_unit": "kg"}


@pytest.fixture
def admin(app: Flask, demo: dict[str, Any]) -> dict[str, str]:
    with app.app_context(), session_scope(get_engine()) as session:
        _, secret = create_token(session, name="registry", role="county_admin")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def newcomer(app: Flask, client: FlaskClient, admin: dict[str, str]) -> int:
    """A producer registered through the API just now, with a kiosk PIN."""
    answer = client.post("/api/v1/producers", json=NEW_PRODUCER, headers=admin)
    assert answer.status_code == 201, answer.get_json()
    producer_id = int(answer.get_json()["producer"]["id"])
    with app.app_context(), session_scope(get_engine()) as session:
        set_pin(session, producer_id, PIN)
    return producer_id


@pytest.fixture
def kiosk(app: Flask, newcomer: int) -> FlaskClient:
    """A kiosk browser bound to a terminal, the newcomer signed in with number and PIN."""
    browser = app.test_client()
    with app.app_context(), session_scope(get_engine()) as session:
        terminal_id = terminals.register_terminal(
            session, name="城关", township_id=None
        ).terminal.id
    with browser.session_transaction() as cookie:
        cookie["kiosk_terminal"] = terminal_id
    match = re.search(r'name="csrf-token" content="([^"]+)"', browser.get("/kiosk").text)
    assert match is not None
    browser.environ_base["HTTP_X_CSRFTOKEN"] = match.group(1)
    browser.environ_base["HTTP_ACCEPT"] = "application/json"
    signed = browser.post("/kiosk/api/signin", json={"identifier": str(newcomer), "pin": PIN})
    assert signed.status_code == 200, signed.get_json()
    return browser


def grid(kiosk: FlaskClient) -> list[str]:
    return [p["name"] for p in kiosk.get("/kiosk/api/catalog").get_json()["products"]]


def issue_at(kiosk: FlaskClient, product_id: int) -> Any:
    return kiosk.post(
        "/kiosk/api/issue",
        json={
            "mode": "kiosk",
            "product_id": product_id,
            "quantity": "12.5",
            "unit": "kg",
            "basis": ["quality_control"],
            "items": 1,
        },
    )


def certificates(app: Flask) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        return len(session.exec(select(Certificate.id)).all())


def test_a_product_added_for_a_new_producer_fills_its_kiosk_grid_and_issues(
    client: FlaskClient, admin: dict[str, str], newcomer: int, kiosk: FlaskClient
) -> None:
    assert grid(kiosk) == []
    url = f"/api/v1/producers/{newcomer}/products"
    product = client.post(url, json=TOMATOES, headers=admin).get_json()["product"]
    assert grid(kiosk) == ["番茄"]
    issued = issue_at(kiosk, product["id"])
    assert issued.status_code in (200, 201), issued.get_json()


def test_a_deactivated_product_leaves_the_grid_and_the_kiosk_refuses_to_issue_it(
    app: Flask, client: FlaskClient, admin: dict[str, str], newcomer: int, kiosk: FlaskClient
) -> None:
    url = f"/api/v1/producers/{newcomer}/products"
    product = client.post(url, json=TOMATOES, headers=admin).get_json()["product"]
    off = client.post(f"/api/v1/products/{product['id']}/deactivate", headers=admin)
    assert off.status_code == 200
    assert grid(kiosk) == []
    before = certificates(app)
    refused = issue_at(kiosk, product["id"])
    assert refused.status_code == 404
    assert refused.get_json()["error"] == "product_not_found"
    assert certificates(app) == before


def test_the_api_refuses_to_issue_for_a_deactivated_product(
    app: Flask, client: FlaskClient, admin: dict[str, str], newcomer: int
) -> None:
    url = f"/api/v1/producers/{newcomer}/products"
    product = client.post(url, json=TOMATOES, headers=admin).get_json()["product"]
    client.post(f"/api/v1/products/{product['id']}/deactivate", headers=admin)
    before = certificates(app)
    answer = client.post(
        "/api/v1/certificates",
        json={
            "producer_id": newcomer,
            "product_id": product["id"],
            "quantity": "10",
            "unit": "kg",
            "items": 1,
            "basis": ["quality_control"],
            "signature_confirmed": True,
        },
        headers=admin,
    )
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json()["error"] == "product_inactive"
    assert "已停用" in answer.get_json()["message_zh"]
    assert certificates(app) == before
