"""Closing a 检打联动 case: a penalty or warning waits until the producer's re-test is settled
(a re-test recorded, or the window passed with none asked for) and the failed produce has been
dealt with; every close says why; a refusal says which rule in both languages, and writes
nothing. Clearing favours the producer and may come at any time."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlmodel import Session

from tests.traceability.compliance.conftest import failed_enzyme_case, in_session
from tests.traceability.signing_in import form_csrf
from traceability.compliance import cases
from traceability.compliance.testing import record_test
from traceability.errors import DomainError
from traceability.models import Batch
from traceability.models.compliance import ComplianceCase


def _failed(app: Flask, batch: Batch, hours_ago: float) -> int:
    """A positive enzyme test `hours_ago` (its re-test window is 4 hours): the case id."""
    return failed_enzyme_case(app, batch, hours_ago=hours_ago)[0]


def _act(app: Flask, case_id: int, work: Any) -> ComplianceCase:
    def run(session: Session) -> ComplianceCase:
        case = cases.get_case(session, case_id)
        work(session, case)
        return case

    return in_session(app, run)


def _dispose(app: Flask, case_id: int) -> None:
    _act(app, case_id, lambda s, c: cases.record_disposal(s, c, "就地销毁 50 kg", actor="sup"))


def _close(app: Flask, case_id: int, outcome: str, note: str = "青农罚〔2026〕12 号") -> None:
    _act(app, case_id, lambda s, c: cases.close_case(s, c, outcome, note, actor="sup"))


def _refusal(
    app: Flask, case_id: int, outcome: str, note: str = "青农罚〔2026〕12 号"
) -> DomainError:
    history = len(in_session(app, lambda s: cases.get_case(s, case_id)).history)
    with pytest.raises(DomainError) as refused:
        _close(app, case_id, outcome, note)
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.state != "closed" and case.outcome is None and len(case.history) == history
    return refused.value


@pytest.mark.parametrize("outcome", ["penalty", "warning"])
def test_no_penalty_or_warning_while_the_retest_window_is_open(
    app: Flask, cucumbers: Batch, outcome: str
) -> None:
    case_id = _failed(app, cucumbers, hours_ago=0.1)
    _dispose(app, case_id)
    refused = _refusal(app, case_id, outcome)
    assert refused.status == 409 and refused.code == "retest_window_open"
    assert (
        "复检申请期至北京时间" in refused.message_zh and "生产者有权申请复检" in refused.message_zh
    )
    assert "the producer may ask for a re-test until then" in refused.message_en
    assert in_session(app, lambda s: cases.get_case(s, case_id)).blocking is True


def test_a_requested_retest_must_be_recorded_before_a_penalty(app: Flask, cucumbers: Batch) -> None:
    """Asked for in time, the re-test is owed even after the window has closed."""
    case_id = _failed(app, cucumbers, hours_ago=5)

    def asked_in_time(session: Session, case: ComplianceCase) -> None:
        cases.request_retest(
            session, case, actor="farm", now=datetime.now(UTC) - timedelta(hours=4.5)
        )

    _act(app, case_id, asked_in_time)
    _dispose(app, case_id)
    refused = _refusal(app, case_id, "penalty")
    assert refused.status == 409 and refused.code == "retest_pending"
    assert "须录入复检结果" in refused.message_zh and "enter its result" in refused.message_en


def test_a_penalty_needs_the_disposal_recorded(app: Flask, cucumbers: Batch) -> None:
    case_id = _failed(app, cucumbers, hours_ago=5)
    refused = _refusal(app, case_id, "penalty")
    assert refused.status == 409 and refused.code == "disposal_missing"
    assert "请先登记处置措施" in refused.message_zh and "Record the disposal" in refused.message_en


def test_after_the_window_and_the_disposal_the_case_closes_with_a_penalty(
    app: Flask, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers, hours_ago=5)
    _dispose(app, case_id)
    _close(app, case_id, "penalty")
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.state == "closed" and case.outcome == "penalty" and case.blocking is True
    assert case.outcome_note == "青农罚〔2026〕12 号"


def test_a_failed_retest_settles_the_question_inside_the_window(
    app: Flask, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers, hours_ago=1)
    body = {
        "method": "lab_report",
        "lab_name": "县检测站",
        "report_no": "JC-9",
        "result": "fail",
        "operator": "检测员",
        "retest_of_case": case_id,
    }
    in_session(app, lambda s: record_test(s, body, recorded_by="lab"))
    _dispose(app, case_id)
    _close(app, case_id, "penalty")
    assert in_session(app, lambda s: cases.get_case(s, case_id)).outcome == "penalty"


def test_no_penalty_after_a_retest_that_passed_in_time(app: Flask, cucumbers: Batch) -> None:
    case_id = _failed(app, cucumbers, hours_ago=1)
    body = {
        "method": "lab_report",
        "lab_name": "县检测站",
        "report_no": "JC-10",
        "result": "pass",
        "operator": "检测员",
        "retest_of_case": case_id,
    }
    in_session(app, lambda s: record_test(s, body, recorded_by="lab"))
    _dispose(app, case_id)
    refused = _refusal(app, case_id, "penalty")
    assert refused.status == 409 and refused.code == "retest_overturned"
    _close(app, case_id, "cleared", "复检合格")


def test_clearing_is_allowed_inside_the_window(app: Flask, cucumbers: Batch) -> None:
    case_id = _failed(app, cucumbers, hours_ago=0.1)
    _close(app, case_id, "cleared", "样品编号登记错误，排除")
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.state == "closed" and case.blocking is False


@pytest.mark.parametrize("note", ["", "   ", "说" * 501])
def test_every_close_needs_a_note(app: Flask, cucumbers: Batch, note: str) -> None:
    case_id = _failed(app, cucumbers, hours_ago=0.1)
    refused = _refusal(app, case_id, "cleared", note)
    assert refused.status == 422 and refused.code == "close_note_required"
    assert "请填写结案说明" in refused.message_zh and "closing note" in refused.message_en


def test_an_unknown_outcome_names_the_dropdowns_labels_not_codes(
    app: Flask, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers, hours_ago=5)
    refused = _refusal(app, case_id, "")
    assert refused.status == 422 and refused.code == "invalid_outcome"
    assert refused.message_zh == "请选择结案结果：行政处罚、警告/责令改正、排除（解除限制）。"
    with app.test_request_context(), force_locale("en"):
        labels = [gettext(zh) for zh in cases.OUTCOME_ZH.values()]
    assert labels == list(cases.OUTCOME_EN.values())  # the catalogue's words, as shown
    assert refused.message_en == f"Choose the outcome: {', '.join(labels)}."
    assert not any(code in refused.message_zh for code in ("penalty", "warning", "cleared"))


def _close_on_page(client: FlaskClient, case_id: int, query: str = "", **fields: str) -> Any:
    path = f"/compliance/cases/{case_id}{query}"
    data = {"csrf_token": form_csrf(client, path), "action": "close", **fields}
    return client.post(path, data=data)


def test_the_case_page_says_why_it_cannot_close_yet(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers, hours_ago=0.1)
    response = _close_on_page(admin, case_id, outcome="penalty", note="罚款")
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert "期内不能以“行政处罚”结案" in page
    assert in_session(app, lambda s: cases.get_case(s, case_id)).state != "closed"


def test_the_english_case_page_names_the_outcomes_as_its_dropdown_does(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers, hours_ago=5)
    response = _close_on_page(admin, case_id, "?lang=en", outcome="", note="note")
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert (
        "Choose the outcome: Administrative penalty, Warning / order to correct, "
        "Cleared (restriction lifted)." in page
    )


def test_the_api_refuses_a_penalty_inside_the_window_with_409(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    case_id = _failed(app, cucumbers, hours_ago=0.1)
    body = {"outcome": "penalty", "note": "罚款"}
    response = client.post(
        f"/api/v1/cases/{case_id}/close", json=body, headers=make_token("county_admin")
    )
    assert response.status_code == 409
    answer = response.get_json()
    assert answer["error"] == "retest_window_open" and "retest_deadline" in answer["details"]
