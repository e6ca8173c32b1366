"""The EPCIS 2.0 export validates against the GS1 JSON schema (schemas/README.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft7Validator

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, scan

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "EPCIS-JSON-Schema.json").read_text())


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    Draft7Validator.check_schema(SCHEMA)
    return Draft7Validator(SCHEMA)


def _export(client: FlaskClient, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    response = client.get(f"/api/v1/epcis/events{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/ld+json"
    return dict(json.loads(response.data))


def _uri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or bool(parts.path))


def test_market_export_validates_with_issue_and_receive_events(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
    validator: Draft7Validator,
) -> None:
    market, cert = make_market(), issue(0, 3)
    scan(client, market, cert.urls[0], cert.urls[1])
    document = _export(client, market.headers)
    errors = sorted(validator.iter_errors(document), key=str)
    assert errors == []
    events = document["epcisBody"]["eventList"]
    issued = [e for e in events if e["action"] == "ADD"]
    received = [e for e in events if e["action"] == "OBSERVE"]
    assert [e["bizStep"] for e in issued] == ["commissioning"]
    assert len(issued[0]["epcList"]) == 3 and set(cert.urls) == set(issued[0]["epcList"])
    assert [e["bizStep"] for e in received] == ["receiving", "receiving"]
    assert [e["epcList"][0] for e in received] == cert.urls[:2]
    for event in events:
        assert event["type"] == "ObjectEvent"
        assert datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00")).tzinfo
        assert all(_uri(u) for u in [event["eventID"], event["readPoint"]["id"], *event["epcList"]])


def test_county_export_uses_gs1_digital_link_epcs_for_products_with_a_gtin(
    client: FlaskClient,
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
    validator: Draft7Validator,
) -> None:
    issue(0, 2, gtin_form=True)  # the demo's cucumbers carry a GTIN
    document = _export(client, make_token("county_admin"))
    assert list(validator.iter_errors(document)) == []
    epcs = [epc for e in document["epcisBody"]["eventList"] for epc in e["epcList"]]
    assert any("/01/06901234567892/10/" in epc and "?8030=" in epc for epc in epcs)


def test_the_schema_really_rejects_a_broken_event(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
    validator: Draft7Validator,
) -> None:
    market, cert = make_market(), issue(0, 1)
    scan(client, market, cert.urls[0])
    document = _export(client, market.headers)
    document["epcisBody"]["eventList"][0]["action"] = "BOGUS"
    assert list(validator.iter_errors(document))


def test_inspectors_export_only_their_own_market(
    client: FlaskClient, make_market: Callable[..., MarketFixture]
) -> None:
    mine, other = make_market("甲"), make_market("乙")
    response = client.get(f"/api/v1/epcis/events?market_id={other.id}", headers=mine.headers)
    assert response.status_code == 403
