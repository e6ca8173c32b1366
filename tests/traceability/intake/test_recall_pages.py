"""Recalls on the staff pages: a supervisor starts one for a batch of its townships, sees
which markets were alerted and which acknowledged; nobody recalls another township's goods.

Before these pages only the API (with a token a supervisor could not make) or a command on
the server could start a recall.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, scan
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.db import get_engine, session_scope
from traceability.models import Certificate, Producer, Recall, RecallAlert, Region, RegionLevel


def _township_of(app: Flask, producer_id: int) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        producer = session.get(Producer, producer_id)
        assert producer is not None
        region = session.get(Region, producer.region_id)
        while region is not None and region.level != RegionLevel.TOWNSHIP:
            region = session.get(Region, region.parent_id)
        assert region is not None and region.id is not None
        return region.id


def _other_township(app: Flask, township: int) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        ids = session.exec(select(Region.id).where(Region.level == RegionLevel.TOWNSHIP)).all()
        return next(i for i in ids if i is not None and i != township)


def _recall_form(client: FlaskClient, **fields: Any) -> Any:
    data = {"csrf_token": form_csrf(client, "/admin/recalls/new"), **fields}
    return client.post("/admin/recalls/new", data=data)


def _count(app: Flask, model: Any) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        return len(session.exec(select(model)).all())


def test_a_supervisor_recalls_a_batch_and_follows_the_markets(
    app: Flask,
    client: FlaskClient,
    issue: Callable[..., IssuedFixture],
    make_market: Callable[..., MarketFixture],
) -> None:
    cert = issue(0, 2)
    market = make_market("城关农贸市场", "farmers_market")
    scan(app.test_client(), market, cert.urls[0])
    # the same code scanned again at a second market: a copied label, marked as such
    copier = make_market("城西超市", "supermarket")
    scan(app.test_client(), copier, cert.urls[0])
    township = _township_of(app, cert.producer_id)
    sign_in(app, client, "sup-a", role="township_supervisor", township_ids=[township])

    form = client.get(f"/admin/recalls/new?batch_id={cert.batch_id}").get_data(as_text=True)
    assert f'value="{cert.batch_id}"' in form and "撤销不能恢复" in form
    done = _recall_form(
        client, scope="batch", batch_id=str(cert.batch_id), reason="抽检不合格", confirm="y"
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "抽检不合格" in page and "城关农贸市场" in page and "尚未知悉" in page
    assert cert.number in page
    assert page.count('data-other-market="true"') == 1 and "城西超市" in page
    with app.app_context(), session_scope(get_engine()) as session:
        status = session.exec(
            select(Certificate.status).where(Certificate.number == cert.number)
        ).one()
        assert status == "revoked"
        recall = session.exec(select(Recall)).all()[-1]
    listing = client.get("/admin/recalls").get_data(as_text=True)
    assert f'data-recall="{recall.id}"' in listing and "0 / 2" in listing

    # the market acknowledges on its intake page: the recall's page says so
    market_client = app.test_client()
    alerts = market_client.get("/api/v1/intake/market", headers=market.headers).get_json()
    alert = next(a for a in alerts["alerts"] if a["recall_id"] == recall.id)
    acked = market_client.post(
        f"/api/v1/intake/alerts/{alert['id']}/ack", json={"inspector": "李娜"},
        headers=market.headers,
    )  # fmt: skip
    assert acked.status_code == 200
    page = client.get(f"/admin/recalls/{recall.id}").get_data(as_text=True)
    assert 'data-acknowledged="true"' in page and "李娜" in page
    assert "1 / 2" in client.get("/admin/recalls").get_data(as_text=True)


def test_a_recall_needs_a_reason_a_confirmation_and_its_scope_and_writes_nothing_without(
    app: Flask, client: FlaskClient, issue: Callable[..., IssuedFixture]
) -> None:
    cert = issue(0, 1)
    sign_in(app, client, "county-b", role="county_admin")
    before = (_count(app, Recall), _count(app, RecallAlert))
    cases = [
        ({"scope": "batch", "batch_id": str(cert.batch_id), "reason": "", "confirm": "y"}, ""),
        ({"scope": "batch", "batch_id": str(cert.batch_id), "reason": "x"}, ""),
        ({"scope": "batch", "reason": "x", "confirm": "y"}, "请填写批次编号"),
        (
            {"scope": "producer", "producer_id": str(cert.producer_id), "reason": "x",
             "confirm": "y"},
            "请填写生产主体编号和日期范围",
        ),
        (
            {"scope": "producer", "producer_id": str(cert.producer_id), "reason": "x",
             "confirm": "y", "date_from": "2026-03-10", "date_to": "2026-03-01"},
            "结束日期不能早于开始日期",
        ),
        (
            {"scope": "batch", "batch_id": "99999999999999999999999", "reason": "x",
             "confirm": "y"},
            "没有这个编号的记录",
        ),
    ]  # fmt: skip
    for fields, says in cases:
        response = _recall_form(client, **fields)
        assert response.status_code == 422, fields
        assert says in response.get_data(as_text=True), fields
    assert (_count(app, Recall), _count(app, RecallAlert)) == before
    with app.app_context(), session_scope(get_engine()) as session:
        status = session.exec(
            select(Certificate.status).where(Certificate.number == cert.number)
        ).one()
    assert status == "valid"


def test_the_page_refuses_as_the_api_does_no_such_goods_404_and_recalled_already_409(
    app: Flask, client: FlaskClient, issue: Callable[..., IssuedFixture]
) -> None:
    """The same request on the page and to POST /api/v1/recalls gets the same status; the
    page keeps the form with the refusal beside the reason, and nothing is written."""
    cert = issue(0, 1)
    sign_in(app, client, "county-b", role="county_admin")
    dates = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    no_batch = {"scope": "batch", "batch_id": "999999", "reason": "x"}
    no_producer = {"scope": "producer", "producer_id": "999999", "reason": "x", **dates}
    again = {"scope": "batch", "batch_id": str(cert.batch_id), "reason": "x"}
    first = _recall_form(client, **again, confirm="y")
    assert first.status_code == 302
    before = (_count(app, Recall), _count(app, RecallAlert))
    for fields, status, says in [
        (no_batch, 404, "找不到该批次"),
        (no_producer, 404, "找不到该生产主体"),
        (again, 409, "已在召回"),
    ]:
        page = _recall_form(client, **fields, confirm="y")
        text = page.get_data(as_text=True)
        assert page.status_code == status, fields
        assert says in text and 'name="reason"' in text, fields
        body: dict[str, Any] = {k: v for k, v in fields.items() if k != "scope"}
        for key in ("batch_id", "producer_id"):
            if key in body:
                body[key] = int(body[key])
        api = client.post(
            "/api/v1/recalls",
            json=body,
            headers={"X-CSRFToken": form_csrf(client, "/admin/recalls/new")},
        )
        assert api.status_code == status, api.get_json()
        assert says in api.get_json()["message_zh"]
    assert (_count(app, Recall), _count(app, RecallAlert)) == before


def test_a_supervisor_cannot_recall_or_read_another_townships_recalls(
    app: Flask, client: FlaskClient, issue: Callable[..., IssuedFixture]
) -> None:
    cert = issue(0, 1)
    other = _other_township(app, _township_of(app, cert.producer_id))
    sign_in(app, client, "sup-b", role="township_supervisor", township_ids=[other])
    refused = _recall_form(
        client, scope="batch", batch_id=str(cert.batch_id), reason="x", confirm="y"
    )
    # 403 with the form and the refusal beside it, as the API answers the same request
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "您无权" in page and 'name="reason"' in page
    producer = _recall_form(
        client, scope="producer", producer_id=str(cert.producer_id), reason="x", confirm="y",
        date_from="2026-01-01", date_to="2026-12-31",
    )  # fmt: skip
    assert producer.status_code == 403 and "您无权" in producer.get_data(as_text=True)
    api = client.post(
        "/api/v1/recalls",
        json={"batch_id": cert.batch_id, "reason": "x"},
        headers={"X-CSRFToken": form_csrf(client, "/admin/recalls/new")},
    )
    assert api.status_code == 403 and api.get_json()["message_zh"] in page
    assert (_count(app, Recall), _count(app, RecallAlert)) == (0, 0)
    with app.app_context(), session_scope(get_engine()) as session:
        status = session.exec(
            select(Certificate.status).where(Certificate.number == cert.number)
        ).one()
    assert status == "valid"
    with app.app_context(), session_scope(get_engine()) as session:
        from traceability.intake.recall import recall_batch

        made = recall_batch(session, cert.batch_id, "抽检不合格")
        made_id = made.id
    assert client.get(f"/admin/recalls/{made_id}").status_code == 403
    assert f'data-recall="{made_id}"' not in client.get("/admin/recalls").get_data(as_text=True)


def test_the_recall_pages_read_in_english(
    app: Flask, client: FlaskClient, issue: Callable[..., IssuedFixture]
) -> None:
    cert = issue(0, 1)
    sign_in(app, client, "county-b", role="county_admin")
    client.get("/?lang=en")
    form = client.get("/admin/recalls/new").get_data(as_text=True)
    assert "Start a recall" in form and "召回范围" not in form
    done = _recall_form(
        client, scope="batch", batch_id=str(cert.batch_id), reason="failed test", confirm="y"
    )
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Recall #" in page and "收货市场" not in page
