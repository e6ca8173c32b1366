"""Reference lists: loaded from the package, versioned, cited on refusals, edited by admins."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import add_input, issue_body, refusals
from traceability.models import Batch


def test_the_shipped_lists_load_with_version_and_source(
    client: FlaskClient, app: Flask, demo: dict[str, Any], make_token: Any
) -> None:
    headers = make_token()
    pesticides = client.get("/api/v1/reference/pesticide", headers=headers).get_json()
    assert pesticides["version"] == "pesticide 2026.1 r1"
    assert "农业部公告第199号" in pesticides["source"]
    names = {e["substance_zh"]: e for e in pesticides["entries"]}
    assert names["甲胺磷"]["verified"] == "yes" and names["硫丹"]["verified"] == "check"
    assert names["氧乐果"]["crop_groups"] == ["蔬菜", "瓜果", "茶叶", "菌类", "中草药材"]
    drugs = client.get("/api/v1/reference/veterinary", headers=headers).get_json()
    assert {"克仑特罗（克伦特罗）", "莱克多巴胺", "沙丁胺醇"} <= {
        e["substance_zh"] for e in drugs["entries"]
    }
    additives = client.get("/api/v1/reference/additive", headers=headers).get_json()
    assert additives["entries"] and all(e["verified"] == "check" for e in additives["entries"])
    intervals = client.get("/api/v1/reference/interval", headers=headers).get_json()
    assert intervals["entries"] == []  # never invented


def test_a_refusal_shows_the_list_version_and_source(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="克仑特罗")
    body = client.post(
        "/api/v1/certificates", json=issue_body(cucumbers), headers=make_token()
    ).get_json()
    assert body["error"] == "banned_substance"
    assert body["details"]["list_version"] == "veterinary 2026.3 r1"
    assert "第250号" in body["details"]["source"]
    assert "veterinary 2026.3 r1" in body["message_zh"] and "第250号" in body["message_zh"]
    [refusal] = refusals(app)
    assert refusal.list_version == "veterinary 2026.3 r1" and "第250号" in (refusal.source or "")


@pytest.mark.parametrize(
    ("recorded", "source", "listed_as"),
    [
        # the everyday spelling of 克仑特罗 (clenbuterol, 瘦肉精)
        ("克伦特罗", "第250号", "克仑特罗（克伦特罗）"),
        # one of the four fluoroquinolones stopped for food animals
        ("诺氟沙星", "第2292号", "诺氟沙星"),
        # named inside a product's trade name
        ("10%盐酸洛美沙星可溶性粉", "第2292号", "洛美沙星"),
        # a human drug, ofloxacin's isomer: refused under its own name, not as 氧氟沙星
        ("左氧氟沙星", "兽药管理条例", "左氧氟沙星"),
    ],
)
def test_a_banned_veterinary_drug_is_refused_by_either_spelling_and_with_its_source(
    client: FlaskClient,
    app: Flask,
    cucumbers: Batch,
    make_token: Any,
    recorded: str,
    source: str,
    listed_as: str,
) -> None:
    add_input(app, cucumbers, substance=recorded)
    body = client.post(
        "/api/v1/certificates", json=issue_body(cucumbers), headers=make_token()
    ).get_json()
    assert body["error"] == "banned_substance"
    assert source in body["details"]["source"] and source in body["message_zh"]
    assert f"禁用物质“{listed_as}”" in body["message_zh"]


def test_an_admin_edit_changes_the_next_decision_not_the_past_ones(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    admin = make_token("county_admin")
    add_input(app, cucumbers, substance="某新禁用剂")
    assert (
        client.post("/api/v1/certificates", json=issue_body(cucumbers), headers=admin).status_code
        == 201
    )
    added = client.post(
        "/api/v1/reference/pesticide",
        json={
            "substance_zh": "某新禁用剂",
            "scope": "all",
            "source": "测试公告第1号",
            "verified": "yes",
        },
        headers=admin,
    )
    assert added.status_code == 201 and added.get_json()["version"] == "pesticide 2026.1 r2"
    refused = client.post(
        "/api/v1/certificates", json=issue_body(cucumbers), headers=admin
    ).get_json()
    assert (
        refused["error"] == "banned_substance"
        and refused["details"]["list_version"] == "pesticide 2026.1 r2"
    )
    entry_id = added.get_json()["id"]
    changed = client.patch(
        f"/api/v1/reference/pesticide/{entry_id}", json={"active": False}, headers=admin
    )
    assert changed.get_json()["version"] == "pesticide 2026.1 r3"
    assert (
        client.post("/api/v1/certificates", json=issue_body(cucumbers), headers=admin).status_code
        == 201
    )
    assert [r.list_version for r in refusals(app)] == ["pesticide 2026.1 r2"]


def test_an_interval_default_applies_when_the_entry_has_no_days(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    from datetime import date, timedelta

    admin = make_token("county_admin")
    used = (date.today() - timedelta(days=3)).isoformat()
    add_input(app, cucumbers, substance="示例药剂", used_on=used)
    row = {"substance": "示例药剂", "applies_to": "蔬菜", "days": 10, "source": "产品标签（测试）"}
    assert client.post("/api/v1/reference/interval", json=row, headers=admin).status_code == 201
    body = client.post("/api/v1/certificates", json=issue_body(cucumbers), headers=admin).get_json()
    assert body["error"] == "pre_harvest_interval"
    assert body["details"]["list_version"] == "interval 2026.1 r2"


def test_only_county_admins_edit_the_lists(
    client: FlaskClient, app: Flask, demo: dict[str, Any], make_token: Any
) -> None:
    row = {"substance_zh": "X", "source": "Y"}
    response = client.post(
        "/api/v1/reference/pesticide", json=row, headers=make_token("rapid_test_operator")
    )
    assert response.status_code == 403
