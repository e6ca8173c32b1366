"""POST /api/v1/intake: each scan gets its verdict, and the ledger keeps each record once."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, new_uuid, scan

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _tampered(url: str) -> str:
    head, signature = url.rsplit(".", 1)
    swap = "B" if signature[0] != "B" else "C"
    return f"{head}.{swap}{signature[1:]}"


def test_genuine_code_is_recorded_with_the_certificate_facts(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue(items=4)
    [result] = scan(client, market, cert.urls[0], supplier="老王批发", inspector="李娜")
    record = result["record"]
    assert result["verdict"] == "genuine" and result["recorded"] is True
    assert record["certificate_number"] == cert.number
    assert record["product"] and record["origin"] and record["issuer"]
    assert record["supplier"] == "老王批发" and record["inspector"] == "李娜"
    assert record["quantity"] == "12.5" and record["unit"] == "kg"  # 50 kg over 4 packages


def test_the_same_item_again_reads_over_scanned_here_and_other_market_elsewhere(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    first, second = make_market("甲超市"), make_market("乙农贸市场", "farmers_market")
    cert = issue()
    assert scan(client, first, cert.urls[0])[0]["verdict"] == "genuine"
    again = scan(client, first, cert.urls[0].lower())[0]  # a CAPS-LOCK-flipping scanner
    assert again["verdict"] == "over_scanned" and again["previous_at"]
    assert scan(client, second, cert.urls[0])[0]["verdict"] == "other_market"
    assert scan(client, second, cert.urls[1])[0]["verdict"] == "genuine"


def test_revoked_forged_and_unreadable_codes(
    client: FlaskClient,
    demo: dict[str, Any],
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue()
    revoked = next(c["url"] for c in demo["codes"] if c["status"] == "revoked")
    results = scan(client, market, revoked, _tampered(cert.urls[0]), "hello world")
    assert [r["verdict"] for r in results] == ["revoked", "not_genuine", "malformed"]
    assert results[0]["reason"] and results[0]["recorded"] is True
    assert results[2]["recorded"] is False


def test_a_record_sent_twice_is_stored_once(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue()
    record = {"uuid": new_uuid(), "code": cert.urls[0], "offline_verdict": "genuine"}
    for _ in range(3):
        response = client.post("/api/v1/intake", json={"records": [record]}, headers=market.headers)
        assert response.status_code == 200
    result = response.get_json()["results"][0]
    assert result["replayed"] is True and result["verdict"] == "genuine"
    ledger = client.get("/api/v1/intake/ledger", headers=market.headers).get_json()
    assert [r["uuid"] for r in ledger["records"]] == [record["uuid"]]


def test_bulk_intake_answers_every_code_in_order(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue(items=6)
    response = client.post(
        "/api/v1/intake",
        json={"supplier": "城南配送中心", "codes": [*cert.urls, cert.urls[0]]},
        headers=market.headers,
    )
    results = response.get_json()["results"]
    assert [r["verdict"] for r in results] == ["genuine"] * 6 + ["over_scanned"]
    assert {r["record"]["supplier"] for r in results} == {"城南配送中心"}


def test_inspectors_act_only_for_their_own_market(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    mine, other = make_market("甲"), make_market("乙")
    cert = issue()
    body = {"market_id": other.id, "records": [{"uuid": new_uuid(), "code": cert.urls[0]}]}
    assert client.post("/api/v1/intake", json=body, headers=mine.headers).status_code == 403
    assert (
        client.post("/api/v1/intake", json=body, headers=make_token("producer", 1)).status_code
        == 403
    )
    no_token = client.post("/api/v1/intake", json=body)
    assert no_token.status_code == 401
    supervisor = make_token("county_admin")
    assert (
        client.get(f"/api/v1/intake/ledger?market_id={other.id}", headers=supervisor).status_code
        == 200
    )


def test_records_need_a_uuid(
    client: FlaskClient, make_market: Callable[..., MarketFixture]
) -> None:
    market = make_market()
    response = client.post(
        "/api/v1/intake", json={"records": [{"code": "x"}]}, headers=market.headers
    )
    assert response.status_code == 422 and response.get_json()["error"] == "invalid_uuid"


def test_paper_certificate_photo_is_kept_under_the_instance_folder(
    app: Flask, client: FlaskClient, make_market: Callable[..., MarketFixture]
) -> None:
    market = make_market()
    record_uuid = new_uuid()
    form = {
        "uuid": record_uuid,
        "product": "土鸡蛋",
        "quantity": "30",
        "unit": "枚",
        "origin": "河北省保定市",
        "issuer": "张三养殖场",
        "phone": "13800001234",
        "certificate_date": "2026-03-01",
        "photo": (io.BytesIO(PNG), "cert.png"),
    }
    response = client.post(
        "/api/v1/intake/paper",
        data=form,
        headers=market.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    record = response.get_json()["record"]
    assert record["verdict"] == "paper" and record["has_photo"] and record["quantity"] == "30"
    stored = list((Path(app.config["TRACEABILITY_HOME"]) / "intake_photos").rglob("*.png"))
    assert [p.name for p in stored] == [f"{record_uuid}.png"]
    photo = client.get(f"/api/v1/intake/records/{record_uuid}/photo", headers=market.headers)
    assert photo.status_code == 200 and photo.data == PNG


def test_paper_certificate_needs_every_required_field(
    client: FlaskClient, make_market: Callable[..., MarketFixture]
) -> None:
    market = make_market()
    response = client.post(
        "/api/v1/intake/paper",
        data={"uuid": new_uuid(), "product": "白菜"},
        headers=market.headers,
        content_type="multipart/form-data",
    )
    body = response.get_json()
    assert response.status_code == 422
    assert set(body["details"]["missing"]) == {
        "quantity",
        "origin",
        "issuer",
        "phone",
        "certificate_date",
    }


def test_intake_page_is_served(client: FlaskClient) -> None:
    page = client.get("/intake")
    assert page.status_code == 200
    assert b'id="scan-input"' in page.data and b"verifier.js" in page.data
