"""Recalls are on the audit record, and a recall that would revoke nothing new is refused."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, func, select

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, scan
from tests.traceability.signing_in import form_csrf, sign_in
from traceability import keystore
from traceability.codes import code_url
from traceability.db import get_engine, session_scope
from traceability.issuing.service import IssueRequest, issue_certificate, today_in_china
from traceability.models import AuditEntry, Batch, Recall, RecallAlert
from traceability.models.types import utcnow


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
    assert entry.after["scope"] == "batch" and entry.after["batch_id"] == cert.batch_id
    # with the demo's earlier certificates of the batch: how many, and the first and last
    assert entry.after["certificate_count"] == response.get_json()["certificates"] >= 1
    assert entry.after["first_certificate"] <= cert.number <= entry.after["last_certificate"]
    assert entry.after["markets"] == [market.id]

    export = client.get("/admin/audit/export?format=csv&action=recall.create")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and entry.after["last_certificate"] in rows[1][9]


def _issue_many(app: Flask, producer_id: int, count: int) -> list[str]:
    """`count` certificates of one item each, for the producer's first batch, today."""
    return _issue_many_with_urls(app, producer_id, count)[0]


def _issue_many_with_urls(app: Flask, producer_id: int, count: int) -> tuple[list[str], list[str]]:
    """`count` certificates of one item each, for the producer's first batch, today: their
    numbers and their codes' URLs."""
    with app.app_context(), session_scope(get_engine()) as session:
        batch = session.exec(
            select(Batch).where(Batch.producer_id == producer_id).order_by(col(Batch.id))
        ).first()
        assert batch is not None
        key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
        made = [
            issue_certificate(
                session,
                IssueRequest(
                    producer_id=producer_id,
                    batch_id=batch.id,
                    item_count=1,
                    basis=["quality_control"],
                    signature_confirmed=True,
                ),
                key,
            )
            for _ in range(count)
        ]
        base = app.config["PUBLIC_BASE_URL"]
        return (
            [m.certificate.number for m in made],
            [code_url(base, m.codes[0]) for m in made],
        )


def test_a_recall_of_many_certificates_is_audited_as_a_count_and_its_scope(
    app: Flask,
    client: FlaskClient,
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    """A producer's date range may cover thousands of certificates: the entry says how
    many, the range and the first and last numbers (each certificate keeps its own
    `certificate.revoke` entry), and stays small on the audit page and in its export."""
    producer = issue(0, 1).producer_id
    numbers = _issue_many(app, producer, 300)
    today = date.today()
    body = {
        "producer_id": producer,
        "date_from": str(today - timedelta(days=400)),
        "date_to": str(today + timedelta(days=1)),
        "reason": "产地抽检不合格",
    }
    made = client.post("/api/v1/recalls", json=body, headers=make_token()).get_json()
    assert made["certificates"] >= 301

    [entry] = _entries(app, "recall.create")
    assert entry.after is not None
    assert entry.after["scope"] == "producer" and entry.after["producer_id"] == producer
    assert (entry.after["date_from"], entry.after["date_to"]) == (
        body["date_from"],
        body["date_to"],
    )
    assert entry.after["certificate_count"] == made["certificates"]
    assert entry.after["first_certificate"] <= min(numbers)
    assert entry.after["last_certificate"] >= max(numbers)
    assert len(json.dumps(entry.after, ensure_ascii=False)) < 400
    assert len(_entries(app, "certificate.revoke")) >= 301  # each certificate's own entry

    sign_in(app, client, "county", role="county_admin")
    page = client.get("/admin/audit?action=recall.create").get_data(as_text=True)
    inside = [
        n
        for n in numbers
        if n not in (entry.after["first_certificate"], entry.after["last_certificate"])
    ]
    assert entry.after["last_certificate"] in page and not [n for n in inside if n in page]
    export = client.get("/admin/audit/export?format=csv&action=recall.create")
    [_, row] = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert '"certificate_count": ' + str(made["certificates"]) in row[9] and len(row[9]) < 400


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
        "certificate_count": 1,
        "first_certificate": cert.number,
        "last_certificate": cert.number,
        "acknowledged_by": "李四",
    }


def test_a_big_stores_acknowledgement_is_audited_as_a_count_and_its_first_and_last(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    """A store that received 300 certificates of a recalled batch: its acknowledgement
    says how many and the first and last numbers, and stays small on the audit page and
    in its export, as `recall.create` does."""
    market, cert = make_market("大超市"), issue(0, 1)
    numbers, urls = _issue_many_with_urls(app, cert.producer_id, 300)
    for start in range(0, len(urls), 100):
        scan(client, market, *urls[start : start + 100])
    body = {"batch_id": cert.batch_id, "reason": "召回"}
    client.post("/api/v1/recalls", json=body, headers=make_token())
    [alert] = client.get("/api/v1/intake/market", headers=market.headers).get_json()["alerts"]
    ack = client.post(
        f"/api/v1/intake/alerts/{alert['id']}/ack",
        json={"inspector": "李四"},
        headers=market.headers,
    )
    assert ack.status_code == 200

    [entry] = _entries(app, "recall_alert.acknowledge")
    assert entry.after is not None
    assert entry.after["certificate_count"] == 300
    assert (entry.after["first_certificate"], entry.after["last_certificate"]) == (
        min(numbers),
        max(numbers),
    )
    assert "certificates" not in entry.after
    assert len(json.dumps(entry.after, ensure_ascii=False)) < 400

    sign_in(app, client, "county", role="county_admin")
    page = client.get("/admin/audit?action=recall_alert.acknowledge").get_data(as_text=True)
    inside = sorted(numbers)[1:-1]
    assert max(numbers) in page and not [n for n in inside if n in page]
    export = client.get("/admin/audit/export?format=csv&action=recall_alert.acknowledge")
    [_, row] = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert '"certificate_count": 300' in row[9] and len(row[9]) < 400


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
    today = today_in_china(
        utcnow()
    )  # certificates are dated by the Beijing day, past 16:00 UTC too
    scope = {"producer_id": cert.producer_id, "reason": "召回"}
    wide = {**scope, "date_from": str(today - timedelta(days=5)), "date_to": str(today)}
    first = client.post("/api/v1/recalls", json=wide, headers=make_token()).get_json()
    narrow = {**scope, "date_from": str(today), "date_to": str(today)}
    refused = client.post("/api/v1/recalls", json=narrow, headers=make_token())
    assert refused.status_code == 409
    assert refused.get_json()["details"] == {"recall_id": first["id"]}

    issue(1, 1)  # the same producer's next certificate, issued after the recall
    assert client.post("/api/v1/recalls", json=narrow, headers=make_token()).status_code == 201
