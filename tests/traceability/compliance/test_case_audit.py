"""Tests recorded and every step of a 检打联动 case leave an audit entry: who, what, which."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.compliance.conftest import add_test, in_session
from tests.traceability.signing_in import form_csrf
from traceability.audit import list_entries
from traceability.models import AuditEntry, Batch
from traceability.models.compliance import ComplianceCase

LAB_PASS = {
    "method": "lab_report",
    "lab_name": "青禾县农产品质量安全检测站",
    "report_no": "QH2026-0042",
    "items": ["有机磷类"],
    "result": "pass",
    "operator": "检测员",
}


def _entries(app: Flask, **filters: Any) -> list[AuditEntry]:
    """Oldest first."""
    return list(reversed(in_session(app, lambda s: list_entries(s, **filters))))


def _case_id(app: Flask) -> int:
    return int(in_session(app, lambda s: s.exec(select(ComplianceCase.id)).one()))


def test_a_test_entered_on_the_page_is_audited_with_who_entered_it(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    data = {
        "csrf_token": form_csrf(admin, "/compliance/tests"),
        "method": "enzyme_inhibition",
        "batch_id": str(cucumbers.id),
        "inhibition_rate": "12",
        "operator": "快检员",
        "result": "",
    }
    assert admin.post("/compliance/tests", data=data).status_code == 302
    (entry,) = _entries(app, action="test.record")
    assert entry.object_type == "rapid_test" and entry.object_id == "1"
    assert entry.actor.startswith("user:") and entry.role == "county_admin"
    assert entry.after is not None
    assert entry.after["result"] == "pass" and entry.after["batch_id"] == cucumbers.id
    assert entry.after["channel"] == "page"


def test_a_failed_test_is_audited_and_so_is_the_case_it_opens(app: Flask, cucumbers: Batch) -> None:
    add_test(app, cucumbers, inhibition_rate="66")
    case_id = _case_id(app)
    (test,) = _entries(app, action="test.record")
    assert test.actor == "test" and test.after and test.after["result"] == "fail"
    (opened,) = _entries(app, action="case.open")
    assert opened.object_type == "compliance_case" and opened.object_id == str(case_id)
    assert opened.after is not None
    assert opened.after["test_id"] == 1 and opened.after["blocking"] is True
    assert opened.after["batch_id"] == cucumbers.id


def test_every_case_step_on_the_page_is_audited_and_clearing_shows_the_block_lifted(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    add_test(app, cucumbers, inhibition_rate="66")
    case_id = _case_id(app)
    path = f"/compliance/cases/{case_id}"
    steps = [
        {"action": "disposal", "disposal": "就地销毁 50 kg", "outcome": ""},
        {"action": "retest-request", "text": "", "outcome": ""},
        {"action": "investigate", "text": "", "outcome": ""},
        {"action": "close", "note": "复核无误，排除", "outcome": "cleared"},
    ]
    for step in steps:
        data = {"csrf_token": form_csrf(admin, path), **step}
        assert admin.post(path, data=data).status_code == 302
    entries = _entries(app, object_type="compliance_case", object_id=str(case_id))
    assert [e.action for e in entries] == [
        "case.open",
        "case.disposal",
        "case.retest_request",
        "case.investigate",
        "case.close",
    ]
    assert all(e.actor.startswith("user:") for e in entries[1:])
    disposal, request, _investigate, closed = entries[1:]
    assert disposal.after and disposal.after["disposal"] == "就地销毁 50 kg"
    assert request.after and request.after["state"] == "retest_requested"
    assert closed.before == {"state": "investigating", "blocking": True}
    assert closed.after == {"state": "closed", "blocking": False, "outcome": "cleared"}
    assert closed.reason == "复核无误，排除"


def test_a_retest_is_audited_as_a_test_and_on_its_case(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_test(app, cucumbers, inhibition_rate="66")
    case_id = _case_id(app)
    body = LAB_PASS | {"retest_of_case": case_id}
    assert client.post("/api/v1/tests", json=body, headers=make_token()).status_code == 201
    retest = _entries(app, action="test.record")[-1]
    assert retest.object_id == "2" and retest.actor.startswith("token:")
    assert retest.after and retest.after["retest_of_case"] == case_id
    (on_case,) = _entries(app, action="case.retest")
    assert on_case.object_id == str(case_id)
    assert on_case.before == {"state": "disposal", "blocking": True}
    assert on_case.after == {
        "state": "investigating",
        "blocking": False,
        "retest_test_id": 2,
        "result": "pass",
        "asked_in_window": True,
    }
