"""Input every view may rely on: no NUL characters anywhere, and a JSON body is an object."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import func, select

from tests.traceability.signing_in import form_csrf, sign_in
from traceability.auth.tokens import create_token
from traceability.db import get_engine, session_scope
from traceability.models import Producer
from traceability.web.request_guard import carries_nul

JSON = {"Accept": "application/json"}


def producers(app: Flask) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        return int(session.exec(select(func.count()).select_from(Producer)).one())


def test_a_nul_in_a_search_is_refused_in_both_languages(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "county", role="county_admin")
    response = client.get("/admin/producers?q=%E5%BC%A0%00", headers=JSON)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "nul_character"
    assert "空字符" in body["message_zh"] and "NUL character" in body["message_en"]
    assert client.get("/admin/producers?q=%E5%BC%A0").status_code == 200  # without it, fine


def test_a_nul_in_a_json_body_stores_nothing(app: Flask, demo: dict[str, Any]) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        _, token = create_token(session, name="t", role="county_admin")
    before = producers(app)
    response = app.test_client().post(
        "/api/v1/producers",
        json={"kind": "smallholder", "name": "张\x00三", "phone": "13600000000"},
        headers={"Authorization": f"Bearer {token}", **JSON},
    )
    assert response.status_code == 400 and response.get_json()["error"] == "nul_character"
    assert producers(app) == before


def test_a_nul_in_a_form_field_is_refused(app: Flask, client: FlaskClient) -> None:
    data = {"username": "ad\x00min", "password": "x", "csrf_token": form_csrf(client)}
    response = client.post("/login", data=data, headers=JSON)
    assert response.status_code == 400 and response.get_json()["error"] == "nul_character"


def test_a_json_body_that_is_not_an_object_is_refused_not_a_500(
    app: Flask, client: FlaskClient
) -> None:
    csrf = {"X-CSRFToken": form_csrf(client), **JSON}  # past CSRF, as a script would get
    for body in ("admin", ["admin"], 7):
        response = client.post("/login", json=body, headers=csrf)
        assert response.status_code == 422  # as the API's own check answers it
        answer = response.get_json()
        assert answer["error"] == "invalid_json" and "JSON 对象" in answer["message_zh"]


def test_nul_is_found_in_keys_values_and_nested_lists() -> None:
    assert carries_nul({"a": [{"b": "x\x00"}]}) and carries_nul({"\x00": 1})
    assert carries_nul(["ok", ("\x00",)])
    assert not carries_nul({"a": ["x", 1, None, {"b": 2.5}]})
