"""Compliance pages in English name methods, results, case states and actions in English."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import failed_lab_case
from traceability.models import Batch


def test_the_tests_and_case_pages_speak_english_when_asked(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    case_id = failed_lab_case(app, cucumbers)
    tests = admin.get("/compliance/tests?lang=en").get_data(as_text=True)
    assert "<td>Lab report" in tests and "<td>Failed<br>" in tests
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
    case_id = failed_lab_case(app, cucumbers)
    tests = admin.get("/compliance/tests").get_data(as_text=True)
    assert "<td>实验室检测" in tests and "<td>不合格<br>" in tests
    case = admin.get(f"/compliance/cases/{case_id}").get_data(as_text=True)
    assert "不合格处置（复检申请期）" in case and ">登记处置措施</option>" in case


def test_the_reference_lists_are_titled_in_english_when_asked(admin: FlaskClient) -> None:
    page = admin.get("/compliance/reference?lang=en").get_data(as_text=True)
    assert "<h2>Banned and restricted pesticides <small>" in page
    assert ">Banned on listed crops</option>" in page and ">To be verified</option>" in page
    assert "<h2>禁限用农药名录" not in page  # (a cited notice keeps its Chinese name)
