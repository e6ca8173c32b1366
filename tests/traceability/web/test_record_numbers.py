"""A record number one past PostgreSQL's `integer` (2**31) names nothing, and says so the
same way on both databases: a 404 in a path, the field's own error on a form, a 422 naming
the field in a query string. Before, SQLite looked the number up and found nothing while
PostgreSQL refused to compare it with the column, so the same request got the generic
"number too large" safety net there instead of the answer a person can act on."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.signing_in import form_csrf, sign_in
from traceability.auth.tokens import create_token
from traceability.db import get_engine, record_by_id, session_scope
from traceability.errors import ValidationFailed
from traceability.models import Recall, User
from traceability.models.compliance import RapidTest

PAST = str(2**31)  # one past the largest `integer` id
LAST = str(2**31 - 1)  # the largest: a number that may name a record, here none


def _rows(app: Flask, model: Any) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        return len(session.exec(select(model)).all())


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    return sign_in(app, client, "numbers-admin", role="county_admin")


@pytest.mark.parametrize(
    "path",
    [
        "/compliance/cases/{}",
        "/compliance/tests/{}/report/1",
        "/admin/users/{}/password",
        "/admin/producers/{}",
        "/admin/kiosks/{}/edit",
    ],
)
@pytest.mark.parametrize("number", [PAST, LAST])
def test_a_path_naming_a_record_past_the_id_columns_is_a_404_like_any_missing_one(
    admin: FlaskClient, path: str, number: str
) -> None:
    response = admin.get(path.format(number))
    assert response.status_code == 404, response.get_data(as_text=True)[:300]
    assert "number_out_of_range" not in response.get_data(as_text=True)


def test_a_case_number_past_the_column_is_no_such_case_in_the_api_too(
    app: Flask, make_token: Any
) -> None:
    response = app.test_client().get(f"/api/v1/cases/{PAST}", headers=make_token())
    assert response.status_code == 404


@pytest.mark.parametrize("number", [PAST, "0", "abc", "²"])
def test_a_producer_number_in_a_query_string_is_refused_naming_the_field(
    app: Flask, make_token: Any, number: str
) -> None:
    response = app.test_client().get(
        f"/api/v1/production-records?producer_id={number}", headers=make_token()
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_record_number"
    assert body["message_zh"] == f"producer_id“{number}”须为 1 至 2147483647 之间的整数。"
    assert "must be a whole number from 1 to 2147483647" in body["message_en"]


def test_the_records_page_refuses_a_producer_number_past_the_column(admin: FlaskClient) -> None:
    response = admin.get(f"/compliance/records?producer_id={PAST}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"生产主体编号“{PAST}”须为 1 至 2147483647 之间的整数" in html


def test_the_account_form_says_no_such_record_beside_the_field_and_creates_nobody(
    app: Flask, admin: FlaskClient
) -> None:
    before = _rows(app, User)
    response = admin.post(
        "/admin/users/new",
        data={
            "csrf_token": form_csrf(admin, "/admin/users/new"),
            "username": "grower-x",
            "password": "correct-horse-battery",
            "role": "producer",
            "producer_id": PAST,
        },
    )
    assert response.status_code in (200, 422)
    assert "没有这个编号的记录" in response.get_data(as_text=True)
    assert _rows(app, User) == before


def test_the_recall_form_says_no_such_record_beside_the_field_and_recalls_nothing(
    app: Flask, admin: FlaskClient
) -> None:
    response = admin.post(
        "/admin/recalls/new",
        data={
            "csrf_token": form_csrf(admin, "/admin/recalls/new"),
            "scope": "batch",
            "batch_id": PAST,
            "reason": "x",
            "confirm": "y",
        },
    )
    assert response.status_code == 422
    assert "没有这个编号的记录" in response.get_data(as_text=True)
    assert _rows(app, Recall) == 0


def test_a_recall_link_with_a_number_past_the_column_leaves_the_scope_empty(
    admin: FlaskClient,
) -> None:
    html = admin.get(f"/admin/recalls/new?batch_id={PAST}").get_data(as_text=True)
    assert f'value="{PAST}"' not in html  # (the language link keeps the query)


@pytest.mark.parametrize("field", ["producer_id", "batch_id"])
def test_the_test_form_says_no_such_record_beside_the_field_and_stores_no_test(
    app: Flask, admin: FlaskClient, field: str
) -> None:
    response = admin.post(
        "/compliance/tests",
        data={
            "csrf_token": form_csrf(admin, "/compliance/tests"),
            "method": "enzyme_inhibition",
            "product_name": "黄瓜",
            "inhibition_rate": "12",
            "result": "pass",
            "operator": "检测员",
            "tested_at": "2026-03-01T09:00",
            field: PAST,
        },
    )
    assert response.status_code == 422
    assert "没有这个编号的记录" in response.get_data(as_text=True)
    assert _rows(app, RapidTest) == 0


@pytest.mark.parametrize("number", [PAST, LAST])
def test_a_market_number_past_the_column_in_a_query_string_is_no_such_market(
    app: Flask, make_token: Any, number: str
) -> None:
    response = app.test_client().get(
        f"/api/v1/intake/market?market_id={number}", headers=make_token()
    )
    assert response.status_code == 404
    assert response.get_json()["error"] == "market_not_found"


@pytest.mark.parametrize("number", [2**31, 2**63, 0, -1, None])
def test_record_by_id_finds_nothing_for_a_number_no_id_column_holds(
    app: Flask, number: int | None
) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        assert record_by_id(session, User, number) is None


def test_record_by_id_finds_the_record_a_number_names(app: Flask) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        user = User(username="numbered", password_hash="x", role="county_admin")
        session.add(user)
        session.flush()
        assert user.id is not None
        assert record_by_id(session, User, user.id) is user


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"producer_id": 2**31, "batch_id": 1}, "producer_not_found"),
        ({"producer_id": 1, "batch_id": 2**31}, "batch_not_found"),
    ],
)
def test_issuing_for_a_number_past_the_column_is_no_such_producer_or_batch(
    app: Flask, demo: dict[str, Any], make_token: Any, body: dict[str, int], error: str
) -> None:
    request = {**body, "items": 1, "basis": ["quality_control"], "signature_confirmed": True}
    response = app.test_client().post("/api/v1/certificates", json=request, headers=make_token())
    assert response.status_code == 404
    assert response.get_json()["error"] == error


@pytest.mark.parametrize(
    ("scope", "refusal"),
    [
        ({"role": "producer", "producer_id": 2**31}, "生产主体令牌须指定有效的生产主体。"),
        ({"role": "market_inspector", "market_id": 2**31}, "市场查验员令牌须指定有效的市场。"),
    ],
)
def test_a_token_for_a_number_past_the_column_is_refused_as_no_such_producer_or_market(
    app: Flask, scope: dict[str, Any], refusal: str
) -> None:
    with (
        app.app_context(),
        session_scope(get_engine()) as session,
        pytest.raises(ValidationFailed) as refused,
    ):
        create_token(session, name="t", **scope)
    assert refused.value.message_zh == refusal


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("/api/v1/tests", {"producer_id": 2**31}, 404, "producer_not_found"),
        ("/api/v1/tests", {"batch_id": 2**31}, 404, "batch_not_found"),
        ("/api/v1/tests", {"producer_id": 1, "product_id": 2**31}, 404, "product_not_found"),
        ("/api/v1/recalls", {"batch_id": 2**31}, 404, "batch_not_found"),
        (
            "/api/v1/recalls",
            {"producer_id": 2**31, "date_from": "2026-01-01", "date_to": "2026-02-01"},
            404,
            "producer_not_found",
        ),
        (
            "/api/v1/production-records",
            {
                "producer_id": 1,
                "product_id": 2**31,
                "input_name": "敌百虫",
                "used_on": "2026-03-01",
            },
            422,
            "subject_required",
        ),
        (
            "/api/v1/terminals",
            {"name": "东坝镇一号机", "township_id": 2**31},
            422,
            "validation_failed",
        ),
    ],
)
def test_a_json_body_naming_a_record_past_the_id_columns_says_which_record_is_missing(
    app: Flask,
    demo: dict[str, Any],
    make_token: Any,
    path: str,
    body: dict[str, Any],
    status: int,
    error: str,
) -> None:
    test = {"product_name": "青菜", "result": "pass", "method": "colloidal_gold"}
    extra = test if path == "/api/v1/tests" else {"reason": "抽检不合格，召回该批次"}
    response = app.test_client().post(path, json={**extra, **body}, headers=make_token())
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"] == error
