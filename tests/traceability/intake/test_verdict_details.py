"""What an intake answer and the ledger say beyond the verdict: why a code is not genuine,
a paper certificate that was revoked or names another product, an account with no market."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import select

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, new_uuid, scan
from traceability import keystore
from traceability.auth.tokens import create_token
from traceability.codes import code_url
from traceability.db import get_engine, session_scope
from traceability.intake.ledger import COLUMNS
from traceability.intake.recall import recall_batch
from traceability.issuing.rolls import create_roll
from traceability.models import Region, RegionLevel

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
REASON_COLUMN = [name for name, _ in COLUMNS].index("reason")


def _tampered(url: str) -> str:
    head, signature = url.rsplit(".", 1)
    return f"{head}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}"


def _unknown_kid(url: str) -> str:
    head, kid, signature = url.rsplit(".", 2)
    return f"{head}.{'AAAA' if kid != 'AAAA' else 'BBBB'}.{signature}"


@pytest.fixture
def roll_url(app: Flask, demo: dict[str, Any]) -> str:
    """A pre-printed roll code that no certificate has activated."""
    with app.app_context(), session_scope(get_engine()) as session:
        key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
        created = create_roll(session, 2, key, producer_id=1)
        return code_url(app.config["PUBLIC_BASE_URL"], created.codes[0])


def _paper(client: FlaskClient, market: MarketFixture, number: str, product: str) -> dict[str, Any]:
    form = {
        "uuid": new_uuid(),
        "product": product,
        "quantity": "20",
        "unit": "kg",
        "origin": "青禾县",
        "issuer": "青禾合作社",
        "phone": "13800001234",
        "certificate_date": "2026-03-01",
        "certificate_number": number,
        "photo": (io.BytesIO(PNG), "cert.png"),
    }
    response = client.post(
        "/api/v1/intake/paper",
        data=form,
        headers=market.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _product_of(client: FlaskClient, market: MarketFixture, cert: IssuedFixture) -> str:
    [result] = scan(client, market, cert.urls[0])
    return str(result["record"]["product"])


def test_not_genuine_answers_say_why_and_never_show_a_zero_quantity(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
    roll_url: str,
) -> None:
    market, cert = make_market(), issue()
    results = scan(client, market, _tampered(cert.urls[0]), _unknown_kid(cert.urls[1]), roll_url)
    assert [r["verdict"] for r in results] == ["not_genuine"] * 3
    assert [r["reason"] for r in results] == ["bad_signature", "unknown_key", "not_activated"]
    assert all("暂扣并上报" in r["message_zh"] for r in results)
    assert [r["record"]["reason_zh"] for r in results] == ["伪造或被篡改", "未知签名密钥", "未激活"]
    assert [r["record"]["reason_en"] for r in results] == [
        "forged or altered",
        "unknown key",
        "not activated",
    ]


def test_the_ledger_exports_tell_forged_unknown_key_and_not_activated_apart(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
    roll_url: str,
) -> None:
    market, cert = make_market(), issue()
    scan(client, market, cert.urls[0], _tampered(cert.urls[1]), _unknown_kid(cert.urls[2]))
    scan(client, market, roll_url)
    response = client.get("/api/v1/intake/ledger?format=csv", headers=market.headers)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][REASON_COLUMN] == "查验说明 Verdict detail"
    assert sorted(r[REASON_COLUMN] for r in rows[1:]) == sorted(
        ["", "伪造或被篡改", "未知签名密钥", "未激活"]
    )
    xlsx = client.get("/api/v1/intake/ledger?format=xlsx", headers=market.headers)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert sorted(str(v[REASON_COLUMN] or "") for v in values[1:]) == sorted(
        ["", "伪造或被篡改", "未知签名密钥", "未激活"]
    )


def test_a_revoked_certificate_on_paper_reads_revoked(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue()
    product = _product_of(client, market, cert)
    with app.app_context(), session_scope(get_engine()) as session:
        recall_batch(session, cert.batch_id, "农药残留超标", actor="test")
    body = _paper(client, market, cert.number, product)
    assert body["verdict"] == "revoked" and body["reason"] == "农药残留超标"
    assert "请勿上架销售" in body["message_zh"] and body["warnings"] == []
    assert body["record"]["method"] == "paper" and body["record"]["reason_zh"] == "农药残留超标"
    ledger = client.get(
        f"/api/v1/intake/ledger?certificate={cert.number}&verdict=revoked", headers=market.headers
    ).get_json()
    assert [r["method"] for r in ledger["records"]] == ["paper"]


def test_a_paper_certificate_for_another_product_is_kept_with_a_warning(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue()
    product = _product_of(client, market, cert)
    same = _paper(client, market, cert.number, f" {product}（散装） ")
    assert same["verdict"] == "paper" and same["warnings"] == []
    other = _paper(client, market, cert.number, "榴莲")
    assert other["verdict"] == "paper" and other["reason"] == "product_mismatch"
    assert [w["code"] for w in other["warnings"]] == ["product_mismatch"]
    assert product not in "榴莲" and "不符" in other["warnings"][0]["message_zh"]
    assert other["record"]["reason_zh"] == "产品与合格证不符"


def test_a_number_not_issued_here_is_a_plain_paper_record(
    client: FlaskClient, make_market: Callable[..., MarketFixture]
) -> None:
    body = _paper(client, make_market(), "EXT-2026-0001", "土鸡蛋")
    assert body["verdict"] == "paper" and body["reason"] is None and body["warnings"] == []


def test_an_account_with_no_market_is_told_so_not_asked_for_a_market_id(
    app: Flask,
    client: FlaskClient,
    make_token: Callable[..., dict[str, str]],
    demo: dict[str, Any],
) -> None:
    producer = make_token("producer", 1)
    response = client.get("/api/v1/intake/market", headers=producer)
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"] == "no_market" and "查验员" in body["message_zh"]
    with app.app_context(), session_scope(get_engine()) as session:
        township = session.exec(
            select(Region.id).where(Region.level == RegionLevel.TOWNSHIP)
        ).first()
        assert township is not None
        _, secret = create_token(
            session, name="t", role="township_supervisor", township_ids=[township]
        )
    supervisor = client.get(
        "/api/v1/intake/market", headers={"Authorization": f"Bearer {secret}"}
    ).get_json()
    assert supervisor["error"] == "market_required" and "市场查验员" in supervisor["message_zh"]
