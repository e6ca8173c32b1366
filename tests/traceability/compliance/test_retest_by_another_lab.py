"""A lab result is re-tested by another lab (复检机构与初检机构不得为同一机构): a re-test of a
lab case from the lab that reported the failure is refused (422) by the domain, the API and
the page alike, naming that lab, and nothing of it is written. A rapid test's case may be
re-tested by any lab."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import (
    count,
    failed_enzyme_case,
    failed_lab_case,
    in_session,
)
from traceability.compliance import cases
from traceability.compliance.testing import record_test
from traceability.errors import ValidationFailed
from traceability.models import AuditEntry, Batch
from traceability.models.compliance import RapidTest

FIRST_LAB = "青禾县农产品质量安全检测站"
RETEST = {
    "method": "lab_report",
    "report_no": "FJ-2026-0007",
    "items": ["毒死蜱"],
    "result": "pass",
    "operator": "检测员",
}


def _written(app: Flask) -> tuple[int, int]:
    return count(app, RapidTest), count(app, AuditEntry)


def _retest(app: Flask, case_id: int, lab: str) -> int:
    body = RETEST | {"retest_of_case": case_id, "lab_name": lab}
    return int(in_session(app, lambda s: record_test(s, body, recorded_by="user:1").id))


@pytest.mark.parametrize("written_as", [FIRST_LAB, f" {FIRST_LAB} ", "青禾县农产品质量安全 检测站"])
def test_a_lab_case_retested_by_the_lab_that_failed_it_is_refused_naming_it(
    app: Flask, cucumbers: Batch, written_as: str
) -> None:
    case_id = failed_lab_case(app, cucumbers)
    written = _written(app)
    with pytest.raises(ValidationFailed) as refused:
        _retest(app, case_id, written_as)
    assert refused.value.status == 422 and refused.value.code == "retest_same_lab"
    assert f"由“{FIRST_LAB}”出具，复检须由另一家有资质的检测机构承担" in refused.value.message_zh
    assert f"was reported by “{FIRST_LAB}”: the re-test must be done by another" in (
        refused.value.message_en
    )
    assert refused.value.details == {"field": "lab_name", "first_lab": FIRST_LAB}
    assert _written(app) == written
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.retest_test_id is None and case.blocking is True


def test_a_lab_case_retested_by_another_lab_is_recorded(app: Flask, cucumbers: Batch) -> None:
    case_id = failed_lab_case(app, cucumbers)
    retest_id = _retest(app, case_id, "福建省农产品质量安全检验检测中心")
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.retest_test_id == retest_id and case.blocking is False


def test_a_rapid_test_case_may_be_retested_by_any_lab(app: Flask, cucumbers: Batch) -> None:
    case_id, _ = failed_enzyme_case(app, cucumbers)
    assert _retest(app, case_id, FIRST_LAB)


def test_the_api_refuses_a_retest_by_the_same_lab_with_422(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    case_id, headers = failed_lab_case(app, cucumbers), make_token()
    written = _written(app)
    answer = client.post(
        "/api/v1/tests",
        json=RETEST | {"retest_of_case": case_id, "lab_name": FIRST_LAB},
        headers=headers,
    )
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "retest_same_lab" and body["details"]["first_lab"] == FIRST_LAB
    assert FIRST_LAB in body["message_zh"] and FIRST_LAB in body["message_en"]
    assert _written(app) == written


def test_the_retest_page_refuses_the_same_lab_and_says_which_lab_it_needs(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id = failed_lab_case(app, cucumbers)
    path = f"/compliance/tests?retest_of_case={case_id}"
    form = html.unescape(admin.get(path).get_data(as_text=True))
    assert f"须由“{FIRST_LAB}”以外的检测机构复检" in form
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token is not None
    written = _written(app)
    data = RETEST | {
        "lab_name": FIRST_LAB,
        "items": "毒死蜱",
        "product_name": "黄瓜",
        "retest_of_case": str(case_id),
        "csrf_token": token.group(1),
    }
    refused = admin.post(path, data=data)
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert f"由“{FIRST_LAB}”出具，复检须由另一家有资质的检测机构承担" in page
    assert f"was reported by “{FIRST_LAB}”" in page
    assert _written(app) == written
