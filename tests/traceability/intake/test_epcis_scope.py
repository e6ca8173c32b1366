"""The county-wide EPCIS feed holds only what the caller may read: a township supervisor gets
its own townships' producers' issue events and markets' intake events, no other township's
item codes; a market's own feed is its whole record, wherever its goods came from."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, scan
from traceability.auth.tokens import create_token
from traceability.db import get_engine, session_scope
from traceability.models import Batch, Market, Producer, Region

CHENGGUAN, QINGHE = "379901001", "379901101"


@dataclass
class Place:
    township_id: int
    market: MarketFixture
    cert: IssuedFixture


def _bearer(app: Flask, **scope: Any) -> dict[str, str]:
    with app.app_context(), session_scope(get_engine()) as session:
        _, secret = create_token(session, name="feed", **scope)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def places(
    app: Flask, client: FlaskClient, issue: Callable[..., IssuedFixture]
) -> dict[str, Place]:
    """In each township a market that received an item of a producer of that township."""
    with app.app_context(), session_scope(get_engine()) as session:
        towns = {r.code: r.id or 0 for r in session.exec(select(Region)).all()}
        batches = session.exec(select(Batch).order_by(col(Batch.id))).all()
        producers = {p.id: p for p in session.exec(select(Producer)).all()}
        index = {
            code: next(
                i for i, b in enumerate(batches) if producers[b.producer_id].name.startswith(prefix)
            )
            for code, prefix in ((CHENGGUAN, "青禾绿源"), (QINGHE, "青禾县清河"))
        }
        made = {}
        for code in (CHENGGUAN, QINGHE):
            row = Market(name=f"市场{code}", kind="supermarket", region_id=towns[code])
            session.add(row)
            session.flush()
            made[code] = row.id or 0
    found = {}
    for code in (CHENGGUAN, QINGHE):
        headers = _bearer(app, role="market_inspector", market_id=made[code])
        market = MarketFixture(made[code], f"市场{code}", headers)
        cert = issue(index[code], 2)
        scan(client, market, cert.urls[0])
        found[code] = Place(towns[code], market, cert)
    return found


def _feed(client: FlaskClient, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/v1/epcis/events{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    events = json.loads(response.data)["epcisBody"]["eventList"]
    issued = {e["eventID"].rsplit("/", 1)[1] for e in events if e["action"] == "ADD"}
    epcs = {epc for e in events for epc in e["epcList"]}
    places = {e["bizLocation"]["id"] for e in events if e["action"] == "OBSERVE"}
    return {"issued": issued, "epcs": epcs, "markets": places}


def test_a_township_supervisor_gets_no_other_townships_issue_events_or_codes(
    app: Flask, client: FlaskClient, places: dict[str, Place]
) -> None:
    own, other = places[CHENGGUAN], places[QINGHE]
    supervisor = _bearer(app, role="township_supervisor", township_ids=[own.township_id])
    feed = _feed(client, supervisor)
    assert own.cert.number in feed["issued"] and other.cert.number not in feed["issued"]
    assert set(own.cert.urls) <= feed["epcs"]
    assert not set(other.cert.urls) & feed["epcs"]
    assert {m.rsplit("/", 1)[1] for m in feed["markets"]} == {str(own.market.id)}


def test_the_county_admin_gets_every_township(
    app: Flask, client: FlaskClient, places: dict[str, Place]
) -> None:
    feed = _feed(client, _bearer(app, role="county_admin"))
    assert {places[CHENGGUAN].cert.number, places[QINGHE].cert.number} <= feed["issued"]
    assert len(feed["markets"]) == 2


def test_a_markets_own_feed_keeps_where_its_goods_came_from(
    app: Flask, client: FlaskClient, places: dict[str, Place]
) -> None:
    own, other = places[CHENGGUAN], places[QINGHE]
    scan(client, own.market, other.cert.urls[1])  # goods from the other township
    feed = _feed(client, own.market.headers)
    assert {own.cert.number, other.cert.number} <= feed["issued"]
    supervisor = _bearer(app, role="township_supervisor", township_ids=[own.township_id])
    named = _feed(client, supervisor, f"?market_id={own.market.id}")
    assert named["issued"] == feed["issued"]
