"""A market inspector who signs in on the web uses the intake page without pasting a token."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, new_uuid
from tests.traceability.signing_in import sign_in

PASSWORD = "market-inspector-pass"


def _sign_in_inspector(app: Flask, client: FlaskClient, market_id: int) -> None:
    sign_in(
        app, client, "inspector", password=PASSWORD, role="market_inspector", market_id=market_id
    )


def _page_csrf(client: FlaskClient) -> str:
    page = client.get("/intake").get_data(as_text=True)
    assert 'data-session="1"' in page
    found = re.search(r'data-csrf="([^"]+)"', page)
    assert found, "the signed-in page carries its CSRF token for the API calls"
    return found.group(1)


def _intake(client: FlaskClient, code: str, headers: dict[str, str]) -> Any:
    records = [{"uuid": new_uuid(), "code": code}]
    return client.post("/api/v1/intake", json={"records": records}, headers=headers)


def test_the_page_without_a_session_offers_sign_in_and_a_token_field(client: FlaskClient) -> None:
    page = client.get("/intake").get_data(as_text=True)
    assert 'data-session=""' in page and 'href="/login?next=/intake"' in page
    assert 'id="token"' in page


def test_a_signed_in_inspector_records_intake_in_their_own_market(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue(0, 2)
    _sign_in_inspector(app, client, market.id)
    headers = {"X-CSRFToken": _page_csrf(client)}
    answer = _intake(client, cert.urls[0], headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["results"][0]["verdict"] == "genuine"
    ledger = client.get("/api/v1/intake/ledger").get_json()
    assert [row["certificate_number"] for row in ledger["records"]] == [cert.number]
    # the same ledger as the market's own token sees
    by_token = client.get("/api/v1/intake/ledger", headers=market.headers).get_json()
    assert by_token["records"] == ledger["records"]


def test_a_session_write_without_the_csrf_header_is_refused_and_records_nothing(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue(0, 1)
    _sign_in_inspector(app, client, market.id)
    refused = _intake(client, cert.urls[0], {})
    assert refused.status_code == 400
    body = refused.get_json()
    assert body["message_zh"] and body["message_en"]
    assert client.get("/api/v1/intake/ledger").get_json()["records"] == []


def test_without_token_or_session_the_api_asks_for_either(client: FlaskClient) -> None:
    answer = client.get("/api/v1/intake/ledger")
    assert answer.status_code == 401
    assert "sign in" in answer.get_json()["message_en"]


def test_the_page_names_who_is_signed_in_with_each_languages_colon(
    app: Flask, client: FlaskClient, make_market: Callable[..., MarketFixture]
) -> None:
    _sign_in_inspector(app, client, make_market().id)
    chinese = client.get("/intake").get_data(as_text=True)
    english = client.get("/intake?lang=en").get_data(as_text=True)
    assert '<p class="muted" id="signed-in">已登录：inspector</p>' in chinese
    assert '<p class="muted" id="signed-in">Signed in: inspector</p>' in english
