"""A test sent twice (a slow network's resubmission, a file imported again) is recorded once:
the second copy is refused with 409 naming the test already recorded, and writes nothing,
so one failure opens one case and costs the producer's credit once."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.compliance.conftest import add_test, count, in_session
from tests.traceability.signing_in import form_csrf
from traceability.compliance import testing
from traceability.compliance.credit import credit_grade
from traceability.compliance.testing import import_csv, record_test
from traceability.errors import Conflict
from traceability.models import AuditEntry, Batch
from traceability.models.compliance import ComplianceCase, RapidTest

GOLD_STRIP = {
    "method": "colloidal_gold",
    "target": "恩诺沙星",
    "result": "fail",
    "sample_no": "S-002",
    "operator": "快检员",
}


def _written(app: Flask) -> tuple[int, int, int]:
    return count(app, RapidTest), count(app, ComplianceCase), count(app, AuditEntry)


def test_the_test_form_posted_twice_records_one_test_and_links_to_it(
    app: Flask, admin: FlaskClient, pigs: Batch
) -> None:
    data = GOLD_STRIP | {"batch_id": str(pigs.id), "product_name": "生猪"}
    first = admin.post(
        "/compliance/tests", data=data | {"csrf_token": form_csrf(admin, "/compliance/tests")}
    )
    assert first.status_code == 302
    written = _written(app)
    assert written[:2] == (1, 1)
    test_id = in_session(app, lambda s: s.exec(select(RapidTest.id)).one())

    again = admin.post(
        "/compliance/tests", data=data | {"csrf_token": form_csrf(admin, "/compliance/tests")}
    )
    assert again.status_code == 409
    page = html.unescape(again.get_data(as_text=True))
    assert f"样品 S-002 的这项检测已登记为检测记录 T{test_id}" in page
    assert f"is already recorded as test T{test_id}" in page
    assert f'href="#test-{test_id}"' in page and f'id="test-{test_id}"' in page
    assert _written(app) == written


def test_the_api_refuses_the_same_test_sent_twice_with_409(
    app: Flask, client: FlaskClient, pigs: Batch, make_token: Any
) -> None:
    headers = make_token()
    body = GOLD_STRIP | {"batch_id": pigs.id}
    first = client.post("/api/v1/tests", json=body, headers=headers)
    assert first.status_code == 201
    written = _written(app)
    again = client.post("/api/v1/tests", json=body, headers=headers)
    assert again.status_code == 409
    answer = again.get_json()
    assert answer["error"] == "test_already_recorded"
    assert answer["details"] == {"test_id": first.get_json()["test"]["id"]}
    assert (
        "未重复登记" in answer["message_zh"]
        and "nothing was recorded again" in answer["message_en"]
    )
    assert _written(app) == written


def test_a_failure_sent_twice_costs_the_credit_once(app: Flask, pigs: Batch) -> None:
    add_test(app, pigs, **GOLD_STRIP)
    grade = in_session(app, lambda s: credit_grade(s, pigs.producer_id))
    with pytest.raises(Conflict):
        add_test(app, pigs, **GOLD_STRIP)
    assert in_session(app, lambda s: credit_grade(s, pigs.producer_id)).score == grade.score


def test_the_same_lab_report_entered_twice_is_refused(app: Flask, cucumbers: Batch) -> None:
    report = {"method": "lab_report", "lab_name": "县检测站", "report_no": "JC-7", "result": "合格"}
    first = add_test(app, cucumbers, **report)
    with pytest.raises(Conflict) as refused:
        add_test(app, cucumbers, **report, sample_no="another sheet")
    assert refused.value.code == "test_already_recorded"
    assert refused.value.details == {"test_id": first}
    assert "县检测站 报告 JC-7" in refused.value.message_zh


@pytest.mark.parametrize(
    "other",
    [
        {"sample_no": "S-003"},  # another sample
        {"target": "磺胺类"},  # the same sample, another strip
        {"tested_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()},  # another day
    ],
)
def test_a_test_differing_in_its_key_is_another_test(
    app: Flask, pigs: Batch, other: dict[str, str]
) -> None:
    add_test(app, pigs, **(GOLD_STRIP | {"result": "pass"}))
    add_test(app, pigs, **(GOLD_STRIP | {"result": "pass"} | other))
    assert count(app, RapidTest) == 2


# a market's sample of an unknown seller, read without a sample number
NO_SAMPLE_NUMBER = {
    "method": "enzyme_inhibition",
    "inhibition_rate": "62",
    "product_name": "青菜",
    "place": "城关农贸市场 3 号摊",
    "operator": "快检员",
}
_FORM_FIELDS = re.compile(r'name="(csrf_token|submission_id)" type="hidden" value="([^"]+)"')


def _fresh_form(client: FlaskClient) -> dict[str, str]:
    """The hidden fields of the entry form as one page load shows them."""
    page = client.get("/compliance/tests").get_data(as_text=True)
    fields = dict(_FORM_FIELDS.findall(page))
    assert set(fields) == {"csrf_token", "submission_id"}
    return fields


def test_the_form_of_a_sample_without_a_number_posted_twice_records_one_test(
    app: Flask, admin: FlaskClient
) -> None:
    form = _fresh_form(admin)
    assert admin.post("/compliance/tests", data=NO_SAMPLE_NUMBER | form).status_code == 302
    written = _written(app)
    assert written[:2] == (1, 1)
    test_id = in_session(app, lambda s: s.exec(select(RapidTest.id)).one())

    again = admin.post("/compliance/tests", data=NO_SAMPLE_NUMBER | form)
    assert again.status_code == 409
    page = html.unescape(again.get_data(as_text=True))
    assert f"这次提交的检测已登记为检测记录 T{test_id}" in page
    assert f"This submission is already recorded as test T{test_id}" in page
    assert _written(app) == written


def test_the_same_reading_on_a_new_form_is_another_test(app: Flask, admin: FlaskClient) -> None:
    """Two samples with no numbers can read alike: each form shown is its own submission."""
    for _ in range(2):
        posted = admin.post("/compliance/tests", data=NO_SAMPLE_NUMBER | _fresh_form(admin))
        assert posted.status_code == 302
    assert count(app, RapidTest) == 2


def test_the_api_refuses_a_test_without_a_sample_number_sent_twice_with_409(
    app: Flask, client: FlaskClient, make_token: Any
) -> None:
    headers = make_token()
    body = NO_SAMPLE_NUMBER | {"submission_id": "tablet-3/0042"}
    first = client.post("/api/v1/tests", json=body, headers=headers)
    assert first.status_code == 201
    written = _written(app)
    again = client.post("/api/v1/tests", json=body, headers=headers)
    assert again.status_code == 409
    answer = again.get_json()
    assert answer["error"] == "test_already_recorded"
    assert answer["details"] == {"test_id": first.get_json()["test"]["id"]}
    assert _written(app) == written


@pytest.mark.parametrize(
    "other",
    [
        {"inhibition_rate": "12"},  # the id reused for another reading
        {"tested_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
    ],
)
def test_a_submission_id_sent_with_another_reading_is_another_test(
    app: Flask, client: FlaskClient, make_token: Any, other: dict[str, str]
) -> None:
    """A client that counts its ids, or a page reused through the back button, must not
    lose a genuine test: the submission is the id with what was sent."""
    headers = make_token()
    body = NO_SAMPLE_NUMBER | {"submission_id": "1"}
    assert client.post("/api/v1/tests", json=body, headers=headers).status_code == 201
    assert client.post("/api/v1/tests", json=body | other, headers=headers).status_code == 201
    assert count(app, RapidTest) == 2


def test_a_file_without_sample_numbers_imported_again_is_refused_row_by_row(
    app: Flask,
) -> None:
    text = (
        "提交编号,样品名称,抽样地点,检测方法,抑制率,检测人\n"
        "DY-20260301-01,青菜,城关农贸市场,enzyme_inhibition,12,快检员\n"
        "DY-20260301-02,青菜,城关农贸市场,enzyme_inhibition,12,快检员\n"
    )
    first = in_session(app, lambda s: import_csv(s, text, recorded_by="cli:local"))
    assert (len(first.imported), first.errors) == (2, [])
    again = in_session(app, lambda s: import_csv(s, text, recorded_by="cli:local"))
    assert [line for line, _ in again.errors] == [2, 3]
    assert all("已登记为检测记录" in error for _, error in again.errors)
    assert count(app, RapidTest) == 2


RACED = {
    "an unknown seller's sample": {
        "method": "colloidal_gold",
        "target": "克伦特罗",
        "result": "fail",
        "sample_no": "M-17",
        "product_name": "猪肉",
        "operator": "快检员",
    },
    "an unknown seller's lab report": {
        "method": "lab_report",
        "lab_name": "县检测站",
        "report_no": "JC-9",
        "result": "fail",
        "product_name": "猪肉",
        "operator": "快检员",
    },
    "a sample without a number": NO_SAMPLE_NUMBER | {"submission_id": "f81d4fae"},
}


@pytest.mark.parametrize("sent", RACED.values(), ids=RACED.keys())
def test_a_copy_that_passed_the_check_in_a_race_is_refused_by_the_database(
    app: Flask, monkeypatch: pytest.MonkeyPatch, sent: dict[str, str]
) -> None:
    """Two copies sent at the same instant both pass the check before either is written
    (an unknown seller has no row to lock): the database's unique index refuses the second,
    with the same 409 naming the first, and nothing of it is kept."""

    def record(session: Any) -> int:
        return int(record_test(session, dict(sent), recorded_by="user:1").id or 0)

    first = in_session(app, record)
    written = _written(app)
    monkeypatch.setattr(testing, "recorded_already", lambda session, test: None)
    with pytest.raises(Conflict) as refused:
        in_session(app, record)
    assert refused.value.code == "test_already_recorded"
    assert refused.value.details == {"test_id": first}
    assert _written(app) == written
