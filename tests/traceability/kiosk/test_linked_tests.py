"""A tested basis at the kiosk: the producer's recent passing tests are offered and linked."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import add_test, certificates, in_session
from traceability import keystore
from traceability.compliance import testing
from traceability.db import begin_write, get_engine
from traceability.errors import ValidationFailed
from traceability.kiosk.issuing import KioskIssue, issue_at_kiosk
from traceability.models import Batch, Certificate, PrintJob, Producer, Product
from traceability.models.compliance import RapidTest
from traceability.models.types import utcnow


def unbatched_test(app: Flask, batch: Batch, **values: Any) -> int:
    """A test of the batch's product tied to no batch, as a station records a morning sample."""
    entry = {"batch_id": None, "producer_id": batch.producer_id, "product_id": batch.product_id}
    return add_test(app, batch, **{**entry, **values})


def issue(kiosk: FlaskClient, batch: Batch, tests: list[int]) -> Any:
    return kiosk.post(
        "/kiosk/api/issue",
        json={
            "mode": "kiosk",
            "product_id": batch.product_id,
            "quantity": "12.5",
            "unit": "kg",
            "basis": ["self_test"],
            "items": 1,
            "tests": tests,
        },
    )


def listed(kiosk: FlaskClient, batch: Batch) -> list[int]:
    answer = kiosk.get(f"/kiosk/api/tests?product_id={batch.product_id}")
    assert answer.status_code == 200, answer.get_json()
    return [t["id"] for t in answer.get_json()["tests"]]


def test_the_catalog_says_which_basis_needs_a_test(kiosk: FlaskClient) -> None:
    basis = kiosk.get("/kiosk/api/catalog").get_json()["basis"]
    assert {b["code"]: b["requires_test"] for b in basis}["self_test"] is True
    assert {b["code"]: b["requires_test"] for b in basis}["quality_control"] is False


def test_the_list_holds_only_the_producers_own_recent_passing_unlinked_tests(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    older = unbatched_test(app, cucumbers, now=utcnow() - timedelta(days=2))
    newest = unbatched_test(app, cucumbers)
    by_name = unbatched_test(app, cucumbers, product_id=None, product_name="黄瓜")
    unbatched_test(app, cucumbers, inhibition_rate="63")  # failed
    add_test(app, cucumbers)  # tied to another batch
    unbatched_test(app, cucumbers, now=utcnow() - timedelta(days=8))  # too old

    def other_producer(session: Session) -> int:
        other = session.exec(select(Producer).where(Producer.id != cucumbers.producer_id)).first()
        assert other is not None
        return other.id or 0

    unbatched_test(
        app,
        cucumbers,
        producer_id=in_session(app, other_producer),
        product_id=None,
        product_name="黄瓜",
    )
    assert listed(kiosk, cucumbers) == [by_name, newest, older]


def test_each_listed_test_reads_in_beijing_time_with_method_and_result_in_both_languages(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    unbatched_test(app, cucumbers, now=datetime.fromisoformat("2026-12-04T01:30:00+00:00"))
    [test] = kiosk.get(f"/kiosk/api/tests?product_id={cucumbers.product_id}").get_json()["tests"]
    assert test["tested_at"] == "2026-12-04 09:30"
    assert (test["method_zh"], test["method_en"]) == ("酶抑制率法", "Enzyme inhibition")
    assert (test["result_zh"], test["result_en"]) == ("合格", "Passed")
    assert test["inhibition_rate"] == "12.50"


def test_the_list_is_for_signed_in_producers_and_their_own_products(
    app: Flask, client: FlaskClient, demo: dict[str, Any], cucumbers: Batch
) -> None:
    client.environ_base["HTTP_ACCEPT"] = "application/json"
    assert client.get(f"/kiosk/api/tests?product_id={cucumbers.product_id}").status_code == 401

    def apples(session: Session) -> int:
        return session.exec(select(Product.id).where(Product.name == "红富士苹果")).one() or 0

    apple_id = in_session(app, apples)
    with client.session_transaction() as session:
        session["kiosk_producer"] = cucumbers.producer_id
        session["kiosk_seen"] = utcnow().timestamp()
    answer = client.get(f"/kiosk/api/tests?product_id={apple_id}")
    assert answer.status_code == 404 and answer.get_json()["error"] == "product_not_found"


def test_a_linked_passing_test_backs_the_tested_basis_and_stays_with_the_certificate(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    test_id = unbatched_test(app, cucumbers)
    answer = issue(kiosk, cucumbers, [test_id])
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["job"]["state"] == "queued"

    def shown(session: Session) -> list[int | None]:
        number = answer.get_json()["certificate"]["number"]
        cert = session.exec(select(Certificate).where(Certificate.number == number)).one()
        assert cert.batch_id is not None and cert.basis
        return [t.id for t in testing.tests_of_batch(session, cert.batch_id)]

    assert in_session(app, shown) == [test_id]  # the lookup shows the batch's tests
    assert listed(kiosk, cucumbers) == []  # it backs this certificate, not the next one


def test_a_tested_basis_without_a_test_is_refused_in_both_languages_and_nothing_issued(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    before = certificates(app)
    answer = issue(kiosk, cucumbers, [])
    body = answer.get_json()
    assert answer.status_code == 422 and body["error"] == "test_required"
    assert "检测记录" in body["message_zh"] and "passing test" in body["message_en"]
    assert certificates(app) == before
    assert in_session(app, lambda s: s.exec(select(PrintJob)).all()) == []


def test_another_producers_test_is_refused_and_stays_theirs(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    def other_producer_test(session: Session) -> int:
        other = session.exec(select(Producer).where(Producer.id != cucumbers.producer_id)).first()
        assert other is not None
        test = RapidTest(
            producer_id=other.id,
            product_name="黄瓜",
            method="enzyme_inhibition",
            inhibition_rate=Decimal("12"),
            result="pass",
            operator="检测员",
            tested_at=utcnow(),
        )
        session.add(test)
        session.flush()
        return test.id or 0

    test_id = in_session(app, other_producer_test)
    before = certificates(app)
    answer = issue(kiosk, cucumbers, [test_id])
    assert answer.status_code == 422 and answer.get_json()["error"] == "test_not_found"
    assert certificates(app) == before
    test = in_session(app, lambda s: s.get(RapidTest, test_id))
    assert test.batch_id is None


def test_test_ids_must_be_a_list_of_numbers(kiosk: FlaskClient, cucumbers: Batch) -> None:
    answer = issue(kiosk, cucumbers, ["1"])  # type: ignore[list-item]
    assert answer.status_code == 422 and answer.get_json()["error"] == "invalid_field"


def test_the_screen_says_there_is_no_test_in_chinese_and_in_english(kiosk: FlaskClient) -> None:
    chinese = kiosk.get("/kiosk").get_data(as_text=True)
    english = kiosk.get("/kiosk?lang=en").get_data(as_text=True)
    assert "没有可用的检测记录：请先到检测室快检，或改选其他承诺依据。" in chinese
    assert "No test you can use: have a rapid test done at the testing room first" in english


def test_a_test_of_another_product_cannot_back_the_certificate(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    """The list offers only the product's tests; a crafted request is refused by the gate."""

    def other_product(session: Session) -> int:
        product = session.exec(
            select(Product).where(
                Product.producer_id == cucumbers.producer_id, Product.id != cucumbers.product_id
            )
        ).first()
        assert product is not None, "the demo producer grows more than cucumbers"
        return int(product.id or 0)

    product_id = in_session(app, other_product)
    test_id = unbatched_test(app, cucumbers, product_id=product_id, product_name="other")
    before = certificates(app)
    answer = issue(kiosk, cucumbers, [test_id])
    body = answer.get_json()
    assert answer.status_code == 422 and body["error"] == "test_other_product"
    assert "黄瓜" in body["message_zh"] and "黄瓜" in body["message_en"]
    assert certificates(app) == before
    assert in_session(app, lambda s: s.get(RapidTest, test_id)).batch_id is None


def test_two_kiosks_issuing_with_the_same_test_at_once_issue_one_certificate(
    app: Flask, demo: dict[str, Any], cucumbers: Batch
) -> None:
    """The second kiosk's gate reads the test before the first commits; its issue is refused
    and rolled back whole, so one test never backs two certificates."""
    test_id = unbatched_test(app, cucumbers)
    before = certificates(app)
    first, second = open_issuing(app), open_issuing(app)
    passphrase = app.config["SIGNING_KEY_PASSPHRASE"]
    first_issue = kiosk_issue(first, cucumbers, test_id, passphrase)
    outcome: dict[str, Any] = {}

    def issue_second() -> None:
        try:
            outcome["issue"] = kiosk_issue(second, cucumbers, test_id, passphrase)
        except ValidationFailed as refusal:
            outcome["refusal"] = refusal
            second.rollback()

    racer = threading.Thread(target=issue_second)
    racer.start()
    if app.config["DATABASE_URL"].startswith("postgresql"):
        assert waits_for_a_lock(app), "the second issue never met the first's row lock"
    else:
        racer.join(0.3)  # SQLite: it waits for the write lock, held since the first began
    first.commit()
    racer.join(30)
    assert not racer.is_alive()
    second.close()
    first.close()
    refusal = outcome.get("refusal")
    assert refusal is not None, "both kiosks issued with the same test"
    assert refusal.code == "test_other_batch"
    assert str(test_id) in refusal.message_zh and str(test_id) in refusal.message_en
    assert certificates(app) == before + 1

    def owner_of(session: Session) -> int | None:
        test = session.get(RapidTest, test_id)
        assert test is not None
        return test.batch_id

    owner = in_session(app, owner_of)
    assert owner == first_issue.issued.certificate.batch_id


def open_issuing(app: Flask) -> Session:
    """A session that writes as a kiosk request does (SQLite's write lock from the start)."""
    with app.app_context():
        return Session(get_engine(), expire_on_commit=False)


def kiosk_issue(session: Session, batch: Batch, test_id: int, passphrase: str) -> KioskIssue:
    begin_write(session)
    producer = session.get(Producer, batch.producer_id)
    assert producer is not None
    return issue_at_kiosk(
        session,
        producer,
        product_id=batch.product_id,
        quantity="12.5",
        unit="kg",
        basis=["self_test"],
        items=1,
        key=keystore.active_signing_key(session, passphrase),
        terminal=None,
        base_url="http://127.0.0.1:8000",
        channel="phone",
        test_ids=[test_id],
    )


def waits_for_a_lock(app: Flask) -> bool:
    with app.app_context():
        engine = get_engine()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        if waiting:
            return True
        time.sleep(0.02)
    return False


def _issue_with_key(kiosk: FlaskClient, batch: Batch, key: str, quantity: str = "12.5") -> Any:
    return kiosk.post(
        "/kiosk/api/issue",
        json={
            "mode": "kiosk",
            "product_id": batch.product_id,
            "quantity": quantity,
            "unit": "kg",
            "basis": ["quality_control"],
            "items": 2,
        },
        headers={"Idempotency-Key": key},
    )


def test_a_tap_again_after_a_lost_answer_gets_the_first_certificate_and_print_job(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    """kiosk.js sends one key per confirmed issue: the retry is the same issue."""
    before = certificates(app)
    first = _issue_with_key(kiosk, cucumbers, "kiosk-issue-1")
    again = _issue_with_key(kiosk, cucumbers, "kiosk-issue-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert certificates(app) == before + 1
    # one print job: the agent prints the labels once
    assert in_session(app, lambda s: s.exec(select(PrintJob.id)).all()) == [
        first.get_json()["job"]["id"]
    ]
    other = _issue_with_key(kiosk, cucumbers, "kiosk-issue-2")
    assert other.status_code == 201 and certificates(app) == before + 2
    assert other.get_json()["certificate"]["number"] != first.get_json()["certificate"]["number"]


def test_the_same_key_with_other_inputs_is_refused_and_issues_nothing(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    assert _issue_with_key(kiosk, cucumbers, "kiosk-issue-3").status_code == 201
    before = certificates(app)
    changed = _issue_with_key(kiosk, cucumbers, "kiosk-issue-3", quantity="20")
    assert changed.status_code == 422
    assert changed.get_json()["error"] == "idempotency_key_reused"
    assert certificates(app) == before
