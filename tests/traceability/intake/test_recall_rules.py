"""Recalls are on the audit record, and a recall that would revoke nothing new is refused."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, func, select

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, scan
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.db import get_engine, session_scope
from traceability.models import AuditEntry, Recall, RecallAlert


def _entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context(), session_scope(get_engine()) as session:
        return list(
            session.exec(
                select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
            ).all()
        )


def _counts(app: Flask) -> tuple[int, int]:
    with app.app_context(), session_scope(get_engine()) as session:
        recalls = session.exec(select(func.count(col(Recall.id)))).one()
        alerts = session.exec(select(func.count(col(RecallAlert.id)))).one()
        return int(recalls), int(alerts)


def test_a_recall_is_audited_with_its_certificates_and_the_markets_it_alerted(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market("甲超市"), issue(0, 2)
    scan(client, market, cert.urls[0])
    sign_in(app, client, "county", role="county_admin")
    response = client.post(
        "/api/v1/recalls",
        json={"batch_id": cert.batch_id, "reason": "农残超标"},
        headers={"X-CSRFToken": form_csrf(client, "/admin/audit")},
    )
    assert response.status_code == 201, response.get_json()

    [entry] = _entries(app, "recall.create")
    assert entry.actor.startswith("user:")
    assert (entry.actor_name, entry.role) == ("county", "county_admin")
    assert (entry.object_type, entry.object_id) == ("recall", str(response.get_json()["id"]))
    assert entry.reason == "农残超标"
    assert entry.after is not None
    assert entry.after["batch_id"] == cert.batch_id
    assert cert.number in entry.after["certificates"]  # with the demo's earlier certificates
    assert len(entry.after["certificates"]) == response.get_json()["certificates"]
    assert entry.after["markets"] == [market.id]

    export = client.get("/admin/audit/export?format=csv&action=recall.create")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and cert.number in rows[1][9]


def test_a_markets_acknowledgement_is_audited_once_naming_who_and_which_goods(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market("甲超市"), issue(0, 2)
    scan(client, market, cert.urls[0])
    body = {"batch_id": cert.batch_id, "reason": "召回"}
    made = client.post("/api/v1/recalls", json=body, headers=make_token()).get_json()
    [alert] = client.get("/api/v1/intake/market", headers=market.headers).get_json()["alerts"]
    path = f"/api/v1/intake/alerts/{alert['id']}/ack"
    for _ in range(2):  # the second press changes nothing
        ack = client.post(path, json={"inspector": "李四"}, headers=market.headers)
        assert ack.status_code == 200

    [entry] = _entries(app, "recall_alert.acknowledge")
    assert entry.role == "market_inspector" and entry.actor.startswith("token:")
    assert (entry.object_type, entry.object_id) == ("recall_alert", str(alert["id"]))
    assert entry.after == {
        "recall_id": made["id"],
        "market_id": market.id,
        "batch_id": cert.batch_id,
        "producer_id": cert.producer_id,
        "certificates": [cert.number],
        "acknowledged_by": "李四",
    }


def test_a_recall_naming_both_a_batch_and_a_producer_is_refused(
    app: Flask,
    client: FlaskClient,
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    cert = issue(0, 1)
    today = date.today()
    response = client.post(
        "/api/v1/recalls",
        json={
            "batch_id": cert.batch_id,
            "producer_id": cert.producer_id,
            "date_from": str(today),
            "date_to": str(today),
            "reason": "召回",
        },
        headers=make_token(),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "recall_scope_ambiguous"
    assert "只能选其一" in body["message_zh"] and "not both" in body["message_en"]
    assert _counts(app) == (0, 0)


def test_a_recall_covering_no_certificates_is_refused_and_revokes_nothing(
    app: Flask,
    client: FlaskClient,
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    cert = issue(0, 1)
    later = date.today() + timedelta(days=400)
    response = client.post(
        "/api/v1/recalls",
        json={
            "producer_id": cert.producer_id,
            "date_from": str(later),
            "date_to": str(later + timedelta(days=31)),
            "reason": "召回",
        },
        headers=make_token(),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "recall_empty"
    assert "没有任何合格证" in body["message_zh"] and "covers no certificates" in body["message_en"]
    assert _counts(app) == (0, 0)
    assert _entries(app, "recall.create") == []


def test_recalling_an_already_recalled_batch_is_a_conflict_naming_the_first_recall(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue(0, 2)
    scan(client, market, cert.urls[0])
    body = {"batch_id": cert.batch_id, "reason": "召回"}
    first = client.post("/api/v1/recalls", json=body, headers=make_token()).get_json()

    again = client.post("/api/v1/recalls", json=body, headers=make_token())
    assert again.status_code == 409
    answer = again.get_json()
    assert answer["error"] == "already_recalled"
    assert answer["details"] == {"recall_id": first["id"]}
    assert f"#{first['id']}" in answer["message_zh"] and f"#{first['id']}" in answer["message_en"]
    assert _counts(app) == (1, 1)  # no second recall, no second alert


def test_a_producer_recall_inside_an_earlier_one_is_a_conflict_but_new_goods_may_be_recalled(
    app: Flask,
    client: FlaskClient,
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    cert = issue(0, 1)
    today = date.today()
    scope = {"producer_id": cert.producer_id, "reason": "召回"}
    wide = {**scope, "date_from": str(today - timedelta(days=5)), "date_to": str(today)}
    first = client.post("/api/v1/recalls", json=wide, headers=make_token()).get_json()
    narrow = {**scope, "date_from": str(today), "date_to": str(today)}
    refused = client.post("/api/v1/recalls", json=narrow, headers=make_token())
    assert refused.status_code == 409
    assert refused.get_json()["details"] == {"recall_id": first["id"]}

    issue(1, 1)  # the same producer's next certificate, issued after the recall
    assert client.post("/api/v1/recalls", json=narrow, headers=make_token()).status_code == 201
