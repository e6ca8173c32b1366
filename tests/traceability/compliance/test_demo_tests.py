"""The demo county comes with rapid tests, so its supervision pages have something to
follow: passes in every township, an unknown seller's market sample, and one failure
that did what a failure does (a case, a blocked batch) without touching the demo's
printed certificates."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import col, select

from tests.traceability.signing_in import form_csrf
from traceability.accounts.demo import DEMO_PASSWORD
from traceability.compliance.cases import blocking_case
from traceability.compliance.demo import DEMO_TESTS
from traceability.db import get_engine, session_scope
from traceability.demo import load_demo
from traceability.models import Certificate, Region
from traceability.models.compliance import ComplianceCase, RapidTest


def _load(app: Flask) -> dict[str, Any]:
    with app.app_context(), session_scope(get_engine()) as session:
        return load_demo(session, app.config)


def _demo_sign_in(client: FlaskClient, username: str) -> FlaskClient:
    data = {"username": username, "password": DEMO_PASSWORD, "csrf_token": form_csrf(client)}
    assert client.post("/login", data=data).status_code == 302
    return client


def test_the_demo_records_a_test_in_every_township_and_one_failure(app: Flask) -> None:
    report = _load(app)
    with app.app_context(), session_scope(get_engine()) as session:
        tests = session.exec(select(RapidTest).order_by(col(RapidTest.tested_at))).all()
        townships = {
            region.code
            for region in session.exec(
                select(Region).where(col(Region.id).in_({t.township_id for t in tests}))
            ).all()
        }
    assert [t.sample_no for t in tests] == [entry[0] for entry in DEMO_TESTS]
    assert townships == {"379901001", "379901101", "379901201"}
    assert [t.result for t in tests] == ["pass", "pass", "pass", "fail"]
    assert [(t["sample_no"], t["result"]) for t in report["tests"]] == [
        (t.sample_no, t.result) for t in tests
    ]
    unknown_seller = [t for t in tests if t.producer_id is None]
    assert [t.place for t in unknown_seller] == ["青禾县城关农贸市场（演示）"]
    assert all(t.operator == "演示快检员" and t.channel == "demo" for t in tests)


def test_the_demo_failure_opened_a_case_that_blocks_its_batch_and_spared_the_printed_codes(
    app: Flask,
) -> None:
    report = _load(app)
    with app.app_context(), session_scope(get_engine()) as session:
        failed = session.exec(select(RapidTest).where(RapidTest.result == "fail")).one()
        case = session.exec(select(ComplianceCase)).one()
        assert failed.producer_id is not None
        blocking = blocking_case(session, failed.producer_id, failed.batch_id, failed.product_id)
        statuses = {c.number: c.status for c in session.exec(select(Certificate)).all()}
    assert case.test_id == failed.id and case.batch_id == failed.batch_id
    assert blocking is not None and blocking.id == case.id
    assert case.revoked_certificates == 0
    assert {c["number"]: c["status"] for c in report["codes"]} == statuses


def test_the_demo_township_supervisor_sees_the_tests_of_their_township_only(
    app: Flask, client: FlaskClient
) -> None:
    _load(app)
    html = _demo_sign_in(client, "chengguan").get("/compliance/tests").get_data(as_text=True)
    assert "样品编号 QH-KJ-0001" in html  # a producer's batch in 城关街道
    assert "QH-KJ-0003" in html  # the unknown seller's sample at the market there
    assert "QH-KJ-0002" not in html and "QH-KJ-0004" not in html


def test_the_demo_county_admin_sees_the_open_case(app: Flask, client: FlaskClient) -> None:
    _load(app)
    html = _demo_sign_in(client, "admin").get("/compliance/cases").get_data(as_text=True)
    assert "张秀英" in html and "暂无案件" not in html
