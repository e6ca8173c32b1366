"""The case page offers a penalty or a warning only when the case can close with it now:
an outcome that must wait (the re-test window still open, a re-test asked for and not yet
entered, a re-test that overturned the failure, no disposal recorded) is shown disabled with
the reason, in the page's language. The service still refuses it if sent anyway."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import failed_enzyme_case, in_session
from tests.traceability.signing_in import form_csrf
from traceability.beijing_time import format_beijing
from traceability.compliance import cases
from traceability.compliance.testing import record_test
from traceability.models import Batch

_OPTION = re.compile(r"<option([^>]*)>")


def _outcomes(page: str) -> dict[str, bool]:
    """Each outcome the close form lists, and whether it is offered (not disabled)."""
    select = page[page.index('name="outcome"') :]
    select = select[: select.index("</select>")]
    found = {}
    for attributes in _OPTION.findall(select):
        value = re.search(r'value="([^"]*)"', attributes)
        if value and value.group(1):
            found[value.group(1)] = " disabled" not in f" {attributes}"
    return found


def _page(client: FlaskClient, case_id: int, query: str = "") -> str:
    return html.unescape(client.get(f"/compliance/cases/{case_id}{query}").get_data(as_text=True))


def _dispose(app: Flask, case_id: int) -> None:
    in_session(
        app,
        lambda s: cases.record_disposal(s, cases.get_case(s, case_id), "就地销毁", actor="t"),
    )


def test_inside_the_window_penalty_and_warning_are_disabled_with_the_deadline(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id, tested = failed_enzyme_case(app, cucumbers, hours_ago=1)
    _dispose(app, case_id)
    page = _page(admin, case_id)
    assert _outcomes(page) == {"penalty": False, "warning": False, "cleared": True}
    deadline = format_beijing(tested + timedelta(hours=4))
    assert f"复检申请期至北京时间 {deadline} 截止，期内不能以“行政处罚”结案" in page
    assert f"复检申请期至北京时间 {deadline} 截止，期内不能以“警告/责令改正”结案" in page
    english = _page(admin, case_id, "?lang=en")
    assert f"The re-test window runs until {deadline} Beijing time" in english


def test_after_the_window_they_wait_only_for_the_disposal(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id, _ = failed_enzyme_case(app, cucumbers, hours_ago=5)
    page = _page(admin, case_id)
    assert _outcomes(page) == {"penalty": False, "warning": False, "cleared": True}
    assert "请先登记处置措施（不合格产品如何处置），再以“行政处罚”结案" in page
    _dispose(app, case_id)
    page = _page(admin, case_id)
    assert _outcomes(page) == {"penalty": True, "warning": True, "cleared": True}
    assert "closing-waits" not in page


def test_a_requested_retest_not_yet_entered_holds_them(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id, _ = failed_enzyme_case(app, cucumbers, hours_ago=1)
    _dispose(app, case_id)
    in_session(app, lambda s: cases.request_retest(s, cases.get_case(s, case_id), actor="t"))
    page = _page(admin, case_id)
    assert _outcomes(page) == {"penalty": False, "warning": False, "cleared": True}
    assert "申请复检，须录入复检结果后才能以“行政处罚”结案" in page


def test_a_retest_that_passed_in_time_holds_only_the_penalty(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id, _ = failed_enzyme_case(app, cucumbers, hours_ago=1)
    _dispose(app, case_id)
    retest = {
        "method": "lab_report",
        "lab_name": "县检测站",
        "report_no": "JC-1",
        "result": "pass",
        "operator": "检测员",
        "retest_of_case": case_id,
    }
    in_session(app, lambda s: record_test(s, retest, recorded_by="t"))
    page = _page(admin, case_id)
    assert _outcomes(page) == {"penalty": False, "warning": True, "cleared": True}
    assert "推翻了原检测结论，不能以“行政处罚”结案" in page


def test_a_disabled_outcome_sent_anyway_is_still_refused_with_its_reason(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id, _ = failed_enzyme_case(app, cucumbers, hours_ago=1)
    _dispose(app, case_id)
    path = f"/compliance/cases/{case_id}"
    data = {
        "csrf_token": form_csrf(admin, path),
        "action": "close",
        "outcome": "penalty",
        "note": "县农业农村局行政处罚决定书 2026-01",
    }
    refused = admin.post(path, data=data)
    assert refused.status_code == 409
    assert _outcomes(html.unescape(refused.get_data(as_text=True)))["penalty"] is False
    assert in_session(app, lambda s: cases.get_case(s, case_id)).state != "closed"
