"""A 检打联动 case takes one re-test: its conclusion is final, so a second one is refused
(409) by the domain, the API and the pages alike, and nothing of it is written."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from tests.traceability.compliance.conftest import failed_enzyme_case, in_session
from traceability.compliance import cases
from traceability.compliance.testing import record_test
from traceability.errors import Conflict
from traceability.models import AuditEntry, Batch
from traceability.models.compliance import ComplianceCase, RapidTest

LAB_REPORT = {
    "method": "lab_report",
    "lab_name": "青禾县农产品质量安全检测站",
    "report_no": "QH2026-0042",
    "items": ["有机磷类"],
    "operator": "检测员",
}


def _failed_test(app: Flask, batch: Batch) -> int:
    """A positive enzyme test an hour ago (the 4-hour window still runs): the case id."""
    return failed_enzyme_case(app, batch, hours_ago=1)[0]


def _retest(app: Flask, case_id: int, result: str) -> int:
    body = LAB_REPORT | {"retest_of_case": case_id, "result": result}
    return int(in_session(app, lambda s: record_test(s, body, recorded_by="lab").id))


def _case(app: Flask, case_id: int) -> ComplianceCase:
    return in_session(app, lambda s: cases.get_case(s, case_id))


def _written(app: Flask) -> tuple[int, int]:
    """How many tests and audit entries there are: a refusal adds to neither."""

    def count(session: Session) -> tuple[int, int]:
        tests = session.exec(select(func.count()).select_from(RapidTest)).one()
        entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
        return int(tests), int(entries)

    return in_session(app, count)


def test_the_first_retest_of_a_case_is_recorded(app: Flask, cucumbers: Batch) -> None:
    case_id = _failed_test(app, cucumbers)
    retest_id = _retest(app, case_id, "pass")
    case = _case(app, case_id)
    assert case.retest_test_id == retest_id
    assert case.state == "investigating" and case.blocking is False


def test_a_second_retest_is_refused_and_cannot_lift_the_block_the_first_kept(
    app: Flask, cucumbers: Batch
) -> None:
    case_id = _failed_test(app, cucumbers)
    first = _retest(app, case_id, "fail")
    written = _written(app)
    with pytest.raises(Conflict) as refused:
        _retest(app, case_id, "pass")
    assert refused.value.status == 409 and refused.value.code == "retest_already_recorded"
    assert f"已录入复检 T{first}" in refused.value.message_zh
    assert "复检结论为最终结论" in refused.value.message_zh
    assert f"already has its re-test, T{first}" in refused.value.message_en
    case = _case(app, case_id)
    assert case.retest_test_id == first and case.blocking is True
    assert [entry["event"] for entry in case.history] == ["opened", "retest_failed"]
    assert _written(app) == written


def test_record_retest_itself_refuses_a_second_retest(app: Flask, cucumbers: Batch) -> None:
    """The rule holds however the re-test arrives, not only through `record_test`."""
    case_id = _failed_test(app, cucumbers)
    first = _retest(app, case_id, "fail")

    def second(session: Session) -> None:
        test = RapidTest(
            product_name="黄瓜",
            method="lab_report",
            result="pass",
            operator="检测员",
            tested_at=datetime.now(UTC),
        )
        cases.record_retest(session, case_id, test, actor="lab")

    written = _written(app)
    with pytest.raises(Conflict) as refused:
        in_session(app, second)
    assert refused.value.code == "retest_already_recorded"
    assert _case(app, case_id).retest_test_id == first
    assert _written(app) == written


def test_a_case_under_investigation_without_a_retest_still_takes_one(
    app: Flask, cucumbers: Batch
) -> None:
    """Starting the investigation does not end the producer's right to a re-test."""
    case_id = _failed_test(app, cucumbers)
    in_session(app, lambda s: cases.start_investigation(s, cases.get_case(s, case_id), actor="sup"))
    retest_id = _retest(app, case_id, "pass")
    assert _case(app, case_id).retest_test_id == retest_id


def test_a_closed_case_takes_no_retest(app: Flask, cucumbers: Batch) -> None:
    case_id = _failed_test(app, cucumbers)
    in_session(
        app,
        lambda s: cases.close_case(
            s, cases.get_case(s, case_id), "cleared", "抽样记录有误，排除", actor="sup"
        ),
    )
    written = _written(app)
    with pytest.raises(Conflict) as refused:
        _retest(app, case_id, "pass")
    assert refused.value.code == "case_closed"
    assert _case(app, case_id).retest_test_id is None
    assert _written(app) == written


def _api_retest(client: FlaskClient, case_id: int, result: str, headers: dict[str, str]) -> Any:
    body = LAB_REPORT | {"retest_of_case": case_id, "result": result}
    return client.post("/api/v1/tests", json=body, headers=headers)


def test_the_api_records_the_first_retest_and_refuses_a_second_with_409(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    case_id = _failed_test(app, cucumbers)
    headers = make_token()
    first = _api_retest(client, case_id, "fail", headers)
    assert first.status_code == 201
    first_id = first.get_json()["test"]["id"]
    assert first.get_json()["case"]["retest_test_id"] == first_id
    written = _written(app)

    second = _api_retest(client, case_id, "pass", headers)
    assert second.status_code == 409
    answer = second.get_json()
    assert answer["error"] == "retest_already_recorded"
    assert f"已录入复检 T{first_id}" in answer["message_zh"]
    assert "a second re-test is not accepted" in answer["message_en"]
    case = _case(app, case_id)
    assert case.retest_test_id == first_id and case.blocking is True
    assert _written(app) == written


def test_the_api_refuses_a_second_retest_before_checking_its_fields(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    """The 409 is the answer that matters: fixing the fields would not help."""
    case_id = _failed_test(app, cucumbers)
    headers = make_token()
    assert _api_retest(client, case_id, "pass", headers).status_code == 201
    body = {"retest_of_case": case_id, "method": "enzyme_inhibition", "inhibition_rate": 5}
    response = client.post("/api/v1/tests", json=body, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"] == "retest_already_recorded"


def test_the_retest_form_of_a_case_with_its_retest_says_why_it_is_refused(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed_test(app, cucumbers)
    first = _retest(app, case_id, "fail")
    response = admin.get(f"/compliance/tests?retest_of_case={case_id}")
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert f"案件 #{case_id} 已录入复检 T{first}" in page
    assert 'name="retest_of_case"' not in page
