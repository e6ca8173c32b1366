"""A test sent twice (a slow network's resubmission, a file imported again) is recorded once:
the second copy is refused with 409 naming the test already recorded, and writes nothing,
so one failure opens one case and costs the producer's credit once."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.compliance.conftest import add_test, count, in_session
from tests.traceability.signing_in import form_csrf
from traceability.compliance.credit import credit_grade
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
