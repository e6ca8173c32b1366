"""Compliance pages in English name methods, results, case states and actions in English."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.compliance.conftest import add_test, in_session
from tests.traceability.signing_in import sign_in
from traceability.models import Batch
from traceability.models.compliance import ComplianceCase


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    return sign_in(app, client, "compliance-admin", role="county_admin")


def _failed_lab_case(app: Flask, batch: Batch) -> int:
    add_test(
        app,
        batch,
        method="lab_report",
        lab_name="青禾县农产品质量安全检测站",
        report_no="QH2026-0100",
        items=["毒死蜱"],
        result="fail",
    )
    return int(
        in_session(
            app,
            lambda s: s.exec(
                select(ComplianceCase.id).where(ComplianceCase.batch_id == batch.id)
            ).one(),
        )
    )


def test_the_tests_and_case_pages_speak_english_when_asked(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    case_id = _failed_lab_case(app, cucumbers)
    tests = admin.get("/compliance/tests?lang=en").get_data(as_text=True)
    assert "<td>Lab report" in tests and "<td>Failed</td>" in tests
    assert ">Enzyme inhibition</option>" in tests and ">Passed / negative</option>" in tests
    assert "实验室检测" not in tests and "酶抑制率法" not in tests
    case = admin.get(f"/compliance/cases/{case_id}?lang=en").get_data(as_text=True)
    assert "Disposal (re-test window open)" in case and "Lab report" in case
    assert ">Record the disposal</option>" in case and ">Administrative penalty</option>" in case
    assert "不合格处置" not in case and "登记处置措施" not in case
    cases = admin.get("/compliance/cases?lang=en").get_data(as_text=True)
    assert "Disposal (re-test window open)" in cases


def test_the_same_pages_stay_chinese_by_default(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    case_id = _failed_lab_case(app, cucumbers)
    tests = admin.get("/compliance/tests").get_data(as_text=True)
    assert "<td>实验室检测" in tests and "<td>不合格</td>" in tests
    case = admin.get(f"/compliance/cases/{case_id}").get_data(as_text=True)
    assert "不合格处置（复检申请期）" in case and ">登记处置措施</option>" in case


def test_the_reference_lists_are_titled_in_english_when_asked(admin: FlaskClient) -> None:
    page = admin.get("/compliance/reference?lang=en").get_data(as_text=True)
    assert "<h2>Banned and restricted pesticides <small>" in page
    assert ">Banned on listed crops</option>" in page and ">To be verified</option>" in page
    assert "<h2>禁限用农药名录" not in page  # (a cited notice keeps its Chinese name)
