"""Products as JSON under the registry API: the same checks as the pages, the same access
as a producer's bases, every change attributed to the token that made it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from traceability.auth.tokens import create_token
from traceability.db import get_engine, session_scope
from traceability.models import AuditEntry, Producer, Region

Token = Callable[..., dict[str, str]]


@pytest.fixture
def token(app: Flask, demo: dict[str, Any]) -> Token:
    def make(role: str = "county_admin", **scope: Any) -> dict[str, str]:
        with app.app_context(), session_scope(get_engine()) as session:
            if "township" in scope:
                code = scope.pop("township")
                region = session.exec(select(Region).where(Region.code == code)).one()
                scope["township_ids"] = [region.id]
            _, secret = create_token(session, name="products-api", role=role, **scope)
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def producers(app: Flask, demo: dict[str, Any]) -> dict[str, int]:
    """The demo's enterprise in 城关街道 and its co-operative in 清河镇, by town."""
    with app.app_context(), session_scope(get_engine()) as session:
        rows = session.exec(select(Producer.name, Producer.id)).all()
    ids = {name: producer_id or 0 for name, producer_id in rows}
    return {"chengguan": ids["青禾绿源蔬菜有限公司"], "qinghe": ids["青禾县清河果蔬专业合作社"]}


def products_url(producer_id: int) -> str:
    return f"/api/v1/producers/{producer_id}/products"


TOMATOES = {"name": "番茄", "category": "vegetable", "default_unit": "kg", "gtin": "6901234567908"}


def test_a_product_added_by_api_reads_back_and_lists_with_its_producer(
    client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    admin, producer_id = token(), producers["chengguan"]
    created = client.post(products_url(producer_id), json=TOMATOES, headers=admin)
    assert created.status_code == 201
    product = created.get_json()["product"]
    assert product | {"id": None} == {
        "id": None,
        "producer_id": producer_id,
        "name": "番茄",
        "category": "vegetable",
        "default_unit": "kg",
        "gtin": "06901234567908",
        "active": True,
    }
    read = client.get(f"/api/v1/products/{product['id']}", headers=admin).get_json()
    assert read["product"] == product
    listed = client.get(products_url(producer_id), headers=admin).get_json()["products"]
    assert [p["name"] for p in listed] == ["黄瓜", "香菇", "番茄"]
    entry = client.get(f"/api/v1/producers/{producer_id}", headers=admin).get_json()
    assert entry["producer"]["products"] == listed


def test_every_problem_is_listed_in_both_languages(
    client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    body = {"name": "", "category": "meat", "default_unit": "lb", "gtin": "6901234567891"}
    response = client.post(products_url(producers["chengguan"]), json=body, headers=token())
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "product_invalid"
    problems = answer["details"]["problems"]
    assert {p["field"] for p in problems} == {"name", "category", "default_unit", "gtin"}
    assert all(p["message_zh"] and p["message_en"] for p in problems)


def test_a_name_already_active_for_the_producer_is_a_conflict(
    client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    again = {"name": "黄瓜", "category": "vegetable"}
    response = client.post(products_url(producers["chengguan"]), json=again, headers=token())
    assert response.status_code == 409
    assert response.get_json()["error"] == "product_duplicate"
    other = client.post(products_url(producers["qinghe"]), json=again, headers=token())
    assert other.status_code == 201


def test_a_gtin_on_another_producers_active_product_is_a_conflict(
    client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    """The demo's cucumbers (城关) carry GTIN 06901234567892: one trade item, one product."""
    url = products_url(producers["qinghe"])
    before = client.get(url, headers=token()).get_json()["products"]
    response = client.post(url, json={**TOMATOES, "gtin": "6901234567892"}, headers=token())
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "gtin_in_use"
    assert "06901234567892" in body["message_zh"] and "GTIN" in body["message_en"]
    assert client.get(url, headers=token()).get_json()["products"] == before


def test_a_request_that_loses_the_race_gets_the_same_409_and_nothing_is_saved(
    app: Flask,
    client: FlaskClient,
    token: Token,
    producers: dict[str, int],
    lose_race: Callable[[], list[str]],
) -> None:
    admin, url = token(), products_url(producers["chengguan"])
    checks = lose_race()  # as if another request saved 黄瓜 after this one's check
    response = client.post(url, json={"name": "黄瓜", "category": "vegetable"}, headers=admin)
    assert checks == ["skipped", "refused"]
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "product_duplicate"
    assert "黄瓜" in body["message_zh"] and "黄瓜" in body["message_en"]
    listed = client.get(url, headers=admin).get_json()["products"]
    assert [p["name"] for p in listed] == ["黄瓜", "香菇"]
    with app.app_context(), session_scope(get_engine()) as session:
        actions = session.exec(select(AuditEntry.action)).all()
    assert "product.create" not in actions


def test_a_patch_changes_the_fields_it_names_and_null_clears_the_gtin(
    client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    admin = token()
    made = client.post(products_url(producers["chengguan"]), json=TOMATOES, headers=admin)
    url = f"/api/v1/products/{made.get_json()['product']['id']}"
    changed = client.patch(url, json={"default_unit": "箱"}, headers=admin).get_json()["product"]
    assert (changed["name"], changed["default_unit"], changed["gtin"]) == (
        "番茄",
        "箱",
        "06901234567908",
    )
    cleared = client.patch(url, json={"gtin": None}, headers=admin).get_json()["product"]
    assert cleared["gtin"] is None
    refused = client.patch(url, json={"category": "meat"}, headers=admin)
    assert refused.status_code == 422 and refused.get_json()["error"] == "product_invalid"


def test_a_deactivated_product_reads_inactive_and_comes_back_unless_its_name_is_taken(
    client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    admin, url = token(), products_url(producers["chengguan"])
    made = client.post(url, json=TOMATOES, headers=admin).get_json()["product"]
    off = client.post(f"/api/v1/products/{made['id']}/deactivate", headers=admin)
    assert off.status_code == 200 and off.get_json()["product"]["active"] is False
    assert (
        client.post(f"/api/v1/products/{made['id']}/deactivate", headers=admin).status_code == 200
    )
    successor = client.post(url, json={**TOMATOES, "gtin": ""}, headers=admin)
    assert successor.status_code == 201
    back = client.post(f"/api/v1/products/{made['id']}/reactivate", headers=admin)
    assert back.status_code == 409 and back.get_json()["error"] == "product_duplicate"


def test_each_change_is_attributed_to_the_token(
    app: Flask, client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    admin = token()
    made = client.post(products_url(producers["chengguan"]), json=TOMATOES, headers=admin)
    product_id = made.get_json()["product"]["id"]
    client.patch(f"/api/v1/products/{product_id}", json={"name": "樱桃番茄"}, headers=admin)
    client.post(f"/api/v1/products/{product_id}/deactivate", headers=admin)
    with app.app_context(), session_scope(get_engine()) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.object_type == "product")).all()
        found = [(e.action, e.object_id, e.actor.split(":")[0]) for e in entries]
    assert sorted(found) == sorted(
        (action, str(product_id), "token")
        for action in ("product.create", "product.update", "product.deactivate")
    )


def test_a_producer_manages_its_own_products_only(
    client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    mine = token("producer", producer_id=producers["chengguan"])
    assert (
        client.post(products_url(producers["chengguan"]), json=TOMATOES, headers=mine).status_code
        == 201
    )
    assert (
        client.post(products_url(producers["qinghe"]), json=TOMATOES, headers=mine).status_code
        == 403
    )
    assert client.get(products_url(producers["qinghe"]), headers=mine).status_code == 403


def test_a_supervisor_manages_products_in_its_townships_only(
    client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    supervisor = token("township_supervisor", township="379901001")  # 城关街道
    inside = client.post(products_url(producers["chengguan"]), json=TOMATOES, headers=supervisor)
    assert inside.status_code == 201
    outside = client.post(products_url(producers["qinghe"]), json=TOMATOES, headers=supervisor)
    assert outside.status_code == 403
    theirs = client.get(products_url(producers["qinghe"]), headers=token()).get_json()["products"]
    url = f"/api/v1/products/{theirs[0]['id']}"
    assert client.patch(url, json={"name": "x"}, headers=supervisor).status_code == 403
    assert client.post(f"{url}/deactivate", headers=supervisor).status_code == 403


def test_a_rapid_test_operator_reads_products_but_does_not_change_them(
    client: FlaskClient, token: Token, producers: dict[str, int]
) -> None:
    operator = token("rapid_test_operator")
    assert client.get(products_url(producers["qinghe"]), headers=operator).status_code == 200
    assert (
        client.post(products_url(producers["qinghe"]), json=TOMATOES, headers=operator).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        (
            "post",
            "/api/v1/producers/{p}/products",
            {"name": 7, "category": "fruit"},
            422,
            "invalid_field",
        ),
        (
            "post",
            "/api/v1/producers/{p}/products",
            {"name": "x", "gtin": 6901234567892},
            422,
            "invalid_field",
        ),
        ("post", "/api/v1/producers/{p}/products", ["not", "an", "object"], 422, "invalid_json"),
        ("post", "/api/v1/producers/999999/products", TOMATOES, 404, "not_found"),
        ("get", "/api/v1/producers/999999/products", None, 404, "not_found"),
        ("get", "/api/v1/products/999999", None, 404, "product_not_found"),
        ("patch", "/api/v1/products/999999", {}, 404, "product_not_found"),
        ("post", "/api/v1/products/999999/deactivate", None, 404, "product_not_found"),
    ],
)
def test_bad_requests_get_a_reason(
    client: FlaskClient,
    token: Token,
    producers: dict[str, int],
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
) -> None:
    url = path.format(p=producers["chengguan"])
    response = getattr(client, method)(url, json=body, headers=token())
    assert response.status_code == status
    assert response.get_json()["error"] == code
