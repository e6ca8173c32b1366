"""A re-test examines the failed test's retained sample afterwards: one dated at or before
the failed test is refused (422, both languages, naming tested_at), whichever way it comes,
and it lifts nothing."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import count, failed_enzyme_case, in_session
from tests.traceability.signing_in import form_csrf
from traceability.beijing_time import format_beijing
from traceability.compliance import cases
from traceability.compliance.testing import record_test
from traceability.errors import ValidationFailed
from traceability.models import Batch
from traceability.models.compliance import RapidTest

LAB_REPORT = {
    "method": "lab_report",
    "lab_name": "青禾县农产品质量安全检测站",
    "report_no": "QH2026-0300",
    "items": ["有机磷类"],
    "operator": "检测员",
    "result": "pass",
}


def _failed_an_hour_ago(app: Flask, batch: Batch) -> tuple[int, datetime]:
    """A positive enzyme test an hour ago, inside its 4-hour window: the case and the time."""
    return failed_enzyme_case(app, batch, hours_ago=1)


def _retest(app: Flask, case_id: int, tested_at: datetime) -> int:
    body = LAB_REPORT | {"retest_of_case": case_id, "tested_at": tested_at.isoformat()}
    return int(in_session(app, lambda s: record_test(s, body, recorded_by="lab").id))


@pytest.mark.parametrize("before", [timedelta(days=30), timedelta(0)])
def test_a_retest_not_after_the_failed_test_is_refused_and_keeps_the_block(
    app: Flask, cucumbers: Batch, before: timedelta
) -> None:
    case_id, failed_at = _failed_an_hour_ago(app, cucumbers)
    with pytest.raises(ValidationFailed) as refused:
        _retest(app, case_id, failed_at - before)
    error = refused.value
    assert error.status == 422 and error.code == "retest_before_failed_test"
    assert "检测时间（tested_at" in error.message_zh and "须晚于" in error.message_zh
    assert format_beijing(failed_at) in error.message_zh
    assert "tested_at" in error.message_en and "must be after" in error.message_en
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.blocking is True and case.retest_test_id is None
    assert count(app, RapidTest) == 1


def test_a_retest_after_the_failed_test_lifts_the_block(app: Flask, cucumbers: Batch) -> None:
    case_id, failed_at = _failed_an_hour_ago(app, cucumbers)
    retest_id = _retest(app, case_id, failed_at + timedelta(minutes=30))
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.retest_test_id == retest_id and case.blocking is False


def test_the_retest_page_refuses_a_retest_dated_before_the_failure_with_422(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id, failed_at = _failed_an_hour_ago(app, cucumbers)
    path = f"/compliance/tests?retest_of_case={case_id}"
    data = {
        "csrf_token": form_csrf(admin, path),
        "retest_of_case": str(case_id),
        "method": "lab_report",
        "product_name": "黄瓜",
        "lab_name": "青禾县农产品质量安全检测站",
        "report_no": "QH2026-0301",
        "items": "有机磷类",
        "result": "pass",
        "operator": "检测员",
        "tested_at": format_beijing(failed_at - timedelta(days=30)),
    }
    response = admin.post(path, data=data)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "须晚于原不合格检测" in page and "must be after that of failed test" in page
    assert in_session(app, lambda s: cases.get_case(s, case_id)).blocking is True
    assert count(app, RapidTest) == 1


def test_the_api_refuses_a_retest_dated_before_the_failure(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    case_id, failed_at = _failed_an_hour_ago(app, cucumbers)
    body = LAB_REPORT | {
        "retest_of_case": case_id,
        "tested_at": (failed_at - timedelta(days=30)).isoformat(),
    }
    response = client.post("/api/v1/tests", json=body, headers=make_token())
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "retest_before_failed_test"
    assert answer["details"] == {"field": "tested_at"}
    assert in_session(app, lambda s: cases.get_case(s, case_id)).blocking is True
