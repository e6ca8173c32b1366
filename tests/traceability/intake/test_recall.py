"""Recalls revoke every certificate and list exactly the markets that received the goods."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import event, insert

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, scan
from traceability.db import get_engine, session_scope
from traceability.intake.recall import recall_report
from traceability.models import IntakeRecord, Recall
from traceability.models.types import utcnow


def test_batch_recall_lists_exactly_the_markets_that_received_it(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    a, b, c, d = (make_market(n) for n in ("甲超市", "乙批发市场", "丙农贸市场", "丁超市"))
    recalled, other = issue(0, 4), issue(1, 2)
    scan(client, a, recalled.urls[0], recalled.urls[1])
    scan(client, b, recalled.urls[2])
    scan(client, c, other.urls[0])  # a different batch
    scan(client, d, "not a code")  # nothing received

    supervisor = make_token("county_admin")
    response = client.post(
        "/api/v1/recalls",
        json={"batch_id": recalled.batch_id, "reason": "农残超标"},
        headers=supervisor,
    )
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert sorted(report["markets"]) == sorted([a.id, b.id])
    by_market = {line["market"]: line for line in report["lines"]}
    assert by_market["甲超市"]["items"] == 2 and by_market["甲超市"]["quantity"] == "25"
    assert (
        by_market["甲超市"]["phone"] == "13900001111" and by_market["甲超市"]["contact"] == "王经理"
    )
    assert by_market["乙批发市场"]["items"] == 1

    # every certificate of the batch is revoked: the next scan says so
    assert scan(client, a, recalled.urls[3])[0]["verdict"] == "revoked"


def test_affected_markets_see_an_alert_until_they_acknowledge_it(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    hit, spared = make_market("甲"), make_market("乙")
    cert = issue(0, 2)
    scan(client, hit, cert.urls[0])
    client.post(
        "/api/v1/recalls", json={"batch_id": cert.batch_id, "reason": "召回"}, headers=make_token()
    )
    alerts = client.get("/api/v1/intake/market", headers=hit.headers).get_json()["alerts"]
    assert len(alerts) == 1 and alerts[0]["lines"][0]["certificate_number"] == cert.number
    assert client.get("/api/v1/intake/market", headers=spared.headers).get_json()["alerts"] == []
    assert (
        client.post(
            f"/api/v1/intake/alerts/{alerts[0]['id']}/ack", json={}, headers=spared.headers
        ).status_code
        == 404
    )
    ack = client.post(f"/api/v1/intake/alerts/{alerts[0]['id']}/ack", json={}, headers=hit.headers)
    assert ack.status_code == 200
    assert client.get("/api/v1/intake/market", headers=hit.headers).get_json()["alerts"] == []


def test_producer_recall_covers_its_certificates_in_the_date_range(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    market = make_market()
    first, second = issue(0, 1), issue(1, 1)  # the first producer's two products
    assert first.producer_id == second.producer_id
    scan(client, market, first.urls[0], second.urls[0])
    today = date.today()
    response = client.post(
        "/api/v1/recalls",
        json={
            "producer_id": first.producer_id,
            "date_from": str(today - timedelta(days=1)),
            "date_to": str(today + timedelta(days=1)),
            "reason": "生产主体违规用药",
        },
        headers=make_token(),
    )
    report = response.get_json()
    assert response.status_code == 201
    assert {line["certificate_number"] for line in report["lines"]} == {first.number, second.number}
    assert report["certificates"] >= 2


def test_recall_report_exports_and_needs_a_supervisor(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market("甲超市"), issue(0, 2)
    scan(client, market, cert.urls[0])
    body = {"batch_id": cert.batch_id, "reason": "召回"}
    assert client.post("/api/v1/recalls", json=body, headers=market.headers).status_code == 403
    made = client.post("/api/v1/recalls", json=body, headers=make_token()).get_json()
    xlsx = client.get(f"/api/v1/recalls/{made['id']}?format=xlsx", headers=make_token())
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[1][0] == "甲超市" and rows[1][6] == cert.number
    csv_body = client.get(f"/api/v1/recalls/{made['id']}?format=csv", headers=make_token())
    assert "甲超市" in csv_body.data.decode("utf-8-sig")


def test_recall_report_is_fast_on_a_large_ledger(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    markets = [make_market(f"市场{i}") for i in range(20)]
    target, noise = issue(0, 2), issue(1, 2)
    scan(client, markets[0], target.urls[0])
    with app.app_context(), session_scope(get_engine()) as session:
        from sqlmodel import select

        from traceability.models import Certificate

        cert_ids = [c.id for c in session.exec(select(Certificate)).all()]
        now = utcnow()
        rows = [
            {
                "uuid": str(uuid.uuid4()),
                "market_id": markets[i % 20].id,
                "method": "code",
                "verdict": "genuine",
                "certificate_id": cert_ids[i % len(cert_ids)],
                "certificate_number": "",
                "supplier": "",
                "product": "",
                "quantity": Decimal("1"),
                "unit": "kg",
                "origin": "",
                "issuer": "",
                "issuer_phone": "",
                "inspector": "",
                "received_at": now,
                "recorded_at": now,
            }
            for i in range(20_000)
        ]
        session.execute(insert(IntakeRecord), rows)
        recall = Recall(batch_id=target.batch_id, reason="测试")
        session.add(recall)
        session.flush()
        statements: list[str] = []
        connection = session.connection()

        def count(
            conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
        ) -> None:
            statements.append(statement)

        event.listen(connection, "before_cursor_execute", count)
        lines = recall_report(session, recall)
        event.remove(connection, "before_cursor_execute", count)
    # One query whatever the ledger's size (speed itself is measured in bench/, not here).
    assert lines and len(statements) == 1, statements
    assert noise.number not in {line.certificate_number for line in lines}
