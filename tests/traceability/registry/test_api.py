"""The registry as JSON: register with the page's checks, read and list within the
caller's scope, ID-card numbers only ever masked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from traceability.auth.tokens import create_token
from traceability.db import get_engine, session_scope
from traceability.models import Producer, Region

ID_NUMBER = "11010519491231002X"
Token = Callable[..., dict[str, str]]


@pytest.fixture
def token(app: Flask, demo: dict[str, Any]) -> Token:
    def make(role: str = "county_admin", **scope: Any) -> dict[str, str]:
        with app.app_context(), session_scope(get_engine()) as session:
            if "township" in scope:
                code = scope.pop("township")
                region = session.exec(select(Region).where(Region.code == code)).one()
                scope["township_ids"] = [region.id]
            _, secret = create_token(session, name="registry-api", role=role, **scope)
        return {"Authorization": f"Bearer {secret}"}

    return make


def _smallholder(**extra: Any) -> dict[str, Any]:
    body = {
        "kind": "smallholder",
        "name": "张三",
        "id_number": ID_NUMBER,
        "phone": "15800001111",
        "division_code": "379901001201",  # 城关街道 东关村
        "address": "东关村三组",
    }
    body.update(extra)
    return body


def test_a_producer_registered_by_api_reads_back_masked(client: FlaskClient, token: Token) -> None:
    admin = token()
    created = client.post("/api/v1/producers", json=_smallholder(), headers=admin)
    assert created.status_code == 201
    assert ID_NUMBER not in created.get_data(as_text=True)
    producer = created.get_json()["producer"]
    assert producer["id_number_masked"].startswith("110") and "*" in producer["id_number_masked"]
    assert producer["region"]["name"] == "东关村" and producer["status"] == "active"
    read = client.get(f"/api/v1/producers/{producer['id']}", headers=admin).get_json()
    assert read["producer"]["name"] == "张三" and read["producer"]["bases"] == []
    listed = client.get("/api/v1/producers?q=15800001111", headers=admin).get_json()["producers"]
    assert [p["id"] for p in listed] == [producer["id"]]


def test_every_problem_is_listed_in_both_languages(client: FlaskClient, token: Token) -> None:
    response = client.post(
        "/api/v1/producers",
        json=_smallholder(id_number="110105194912310021", phone="12345"),
        headers=token(),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "producer_invalid"
    fields = {p["field"] for p in body["details"]["problems"]}
    assert {"id_number", "phone"} <= fields
    assert all(p["message_zh"] and p["message_en"] for p in body["details"]["problems"])


def test_a_duplicate_is_refused_with_the_existing_producer(
    client: FlaskClient, token: Token
) -> None:
    admin = token()
    first = client.post("/api/v1/producers", json=_smallholder(), headers=admin).get_json()
    again = client.post("/api/v1/producers", json=_smallholder(name="张三丰"), headers=admin)
    assert again.status_code == 409
    body = again.get_json()
    assert body["details"]["duplicates"] == [first["producer"]["id"]]
    assert body["message_zh"].endswith("重复：身份证号相同。")
    assert body["message_en"] == (
        f"Duplicate of registered producer #{first['producer']['id']} (same ID number)."
    )


def test_supervisors_list_read_and_register_in_their_townships_only(
    app: Flask, client: FlaskClient, token: Token
) -> None:
    supervisor = token("township_supervisor", township="379901001")
    listed = client.get("/api/v1/producers", headers=supervisor).get_json()["producers"]
    with app.app_context(), session_scope(get_engine()) as session:
        everyone = session.exec(select(Producer)).all()
        outside = [p for p in everyone if p.id not in {q["id"] for q in listed}]
    assert listed and outside  # the demo county has producers on both sides
    assert all(p["region"]["code"].startswith("379901001") for p in listed)
    assert client.get(f"/api/v1/producers/{outside[0].id}", headers=supervisor).status_code == 403
    elsewhere = _smallholder(division_code="379901101201")  # 清河镇
    assert client.post("/api/v1/producers", json=elsewhere, headers=supervisor).status_code == 403
    assert (
        client.post("/api/v1/producers", json=_smallholder(), headers=supervisor).status_code == 201
    )


def test_a_producer_reads_only_itself(app: Flask, client: FlaskClient, token: Token) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        own, other = session.exec(select(Producer).order_by(Producer.id).limit(2)).all()  # type: ignore[arg-type]
    mine = token("producer", producer_id=own.id)
    assert client.get(f"/api/v1/producers/{own.id}", headers=mine).status_code == 200
    assert client.get(f"/api/v1/producers/{other.id}", headers=mine).status_code == 403
    assert client.get("/api/v1/producers", headers=mine).status_code == 403
    # who may not list at all hears that first, not what is wrong with the query
    assert client.get("/api/v1/producers?limit=bad", headers=mine).status_code == 403


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/api/v1/producers?limit=0", None, "invalid_limit"),
        ("/api/v1/producers?limit=lots", None, "invalid_limit"),
        ("/api/v1/producers", {"kind": "smallholder", "name": 7}, "invalid_field"),
        ("/api/v1/producers", ["not", "an", "object"], "invalid_json"),
    ],
)
def test_bad_requests_get_a_reason(
    client: FlaskClient, token: Token, path: str, body: Any, code: str
) -> None:
    if body is None:
        response = client.get(path, headers=token())
    else:
        response = client.post(path, json=body, headers=token())
    assert response.status_code == 422
    assert response.get_json()["error"] == code
