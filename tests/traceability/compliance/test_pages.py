"""The compliance pages: Chinese first, signed-in, CSRF-protected forms that reach the domain."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import add_input, count, issue_body
from tests.traceability.signing_in import form_csrf
from traceability.models import Batch
from traceability.models.compliance import RapidTest


def test_every_page_renders_in_chinese(
    admin: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="甲胺磷")
    admin.post("/api/v1/certificates", json=issue_body(cucumbers), headers=make_token())
    for path, words in [
        ("/compliance/", "合规与检测"),
        ("/compliance/tests", "录入检测记录"),
        ("/compliance/cases", "检打联动案件"),
        ("/compliance/refusals", "甲胺磷"),
        ("/compliance/credit", "评级规则"),
        ("/compliance/reference", "农业部公告第199号"),
    ]:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert words in response.get_data(as_text=True), path


def test_a_failed_test_entered_on_the_page_opens_a_case(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    data = {
        "csrf_token": form_csrf(admin, "/compliance/tests"),
        "method": "enzyme_inhibition",
        "batch_id": str(cucumbers.id),
        "inhibition_rate": "66",
        "operator": "快检员",
        "result": "",
    }
    response = admin.post("/compliance/tests", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert count(app, RapidTest) == 1
    cases = admin.get("/compliance/cases").get_data(as_text=True)
    assert "#1" in cases
    assert admin.get("/compliance/cases/1").status_code == 200


def test_pages_need_a_signed_in_user(client: FlaskClient, app: Flask, demo: dict[str, Any]) -> None:
    assert client.get("/compliance/cases").status_code == 302
