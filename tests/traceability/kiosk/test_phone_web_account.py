"""Phone issuing for a producer already signed in to the web pages: no card, no PIN.

A producer's web account (a password) opens 开具合格证 from its pages and lands on its
products; nobody else's web account signs anybody in, and a suspended producer is not
signed in (it hears why when it tries the PIN, as at the kiosk).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import in_session
from tests.traceability.signing_in import sign_in
from traceability.models import Batch, Producer, ProducerStatus

SIGNED_IN = re.compile(r'data-signed-in="([^"]*)"')


def phone(client: FlaskClient) -> str:
    html = client.get("/phone").get_data(as_text=True)
    found = SIGNED_IN.search(html)
    assert found is not None
    return found.group(1)


def catalog(client: FlaskClient) -> Any:
    return client.get("/kiosk/api/catalog", headers={"Accept": "application/json"})


def test_a_producers_web_account_opens_the_phone_page_on_its_own_products(
    app: Flask, client: FlaskClient, demo: dict[str, Any], cucumbers: Batch
) -> None:
    assert catalog(client).status_code == 401  # nobody signed in
    sign_in(app, client, "lvyuan-web", role="producer", producer_id=cucumbers.producer_id)
    name = in_session(app, lambda s: s.get_one(Producer, cucumbers.producer_id).name)
    assert phone(client) == name
    answer = catalog(client)
    assert answer.status_code == 200
    assert "黄瓜" in {p["name"] for p in answer.get_json()["products"]}
    landing = client.get("/admin/").get_data(as_text=True)
    assert 'href="/phone"' in landing  # 开具承诺达标合格证 on its landing page


def test_another_roles_web_account_signs_nobody_in(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "county-web", role="county_admin")
    assert phone(client) == ""
    assert catalog(client).status_code == 401
    assert 'href="/phone"' not in client.get("/admin/").get_data(as_text=True)


def test_a_suspended_producers_web_account_is_not_signed_in(
    app: Flask, client: FlaskClient, demo: dict[str, Any], cucumbers: Batch
) -> None:
    def suspend(session: Any) -> None:
        producer = session.get(Producer, cucumbers.producer_id)
        producer.status = ProducerStatus.SUSPENDED
        session.add(producer)

    in_session(app, suspend)
    sign_in(app, client, "lvyuan-web", role="producer", producer_id=cucumbers.producer_id)
    assert phone(client) == ""
    assert catalog(client).status_code == 401
