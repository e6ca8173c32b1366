"""What the compliance pages say after an action: Chinese by default, English on request."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.compliance.conftest import in_session, issue_body
from tests.traceability.signing_in import form_csrf
from traceability.models import Batch
from traceability.models.compliance import ComplianceCase, ReferenceSubstance


def in_english(client: FlaskClient) -> FlaskClient:
    """Ask for English once, as the language link does; the cookie keeps it."""
    assert client.get("/compliance/?lang=en").status_code == 200
    return client


def record_test_on_page(client: FlaskClient, batch: Batch, rate: str) -> str:
    data = {
        "csrf_token": form_csrf(client, "/compliance/tests"),
        "method": "enzyme_inhibition",
        "batch_id": str(batch.id),
        "inhibition_rate": rate,
        "operator": "快检员",
        "result": "",
    }
    response = client.post("/compliance/tests", data=data, follow_redirects=True)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


RECORDED = [
    pytest.param("12", "已登记检测记录 T1：合格。", "Test T1 recorded: pass.", id="pass"),
    pytest.param(
        "66",
        "已登记检测记录 T1：不合格，已开立案件 #1，撤销该批次有效合格证 1 张，该批次暂停开具合格证。",
        "Test T1 recorded: fail. Case #1 was opened; the batch's valid certificates were revoked "
        "(1) and it may not get new ones.",
        id="fail",
    ),  # the demo batch carries one certificate
]


@pytest.mark.parametrize(("rate", "zh", "en"), RECORDED)
def test_a_recorded_test_is_announced_in_chinese(
    admin: FlaskClient, cucumbers: Batch, rate: str, zh: str, en: str
) -> None:
    page = record_test_on_page(admin, cucumbers, rate)
    assert zh in page and en not in page


@pytest.mark.parametrize(("rate", "zh", "en"), RECORDED)
def test_a_recorded_test_is_announced_in_english_on_an_english_page(
    admin: FlaskClient, cucumbers: Batch, rate: str, zh: str, en: str
) -> None:
    page = record_test_on_page(in_english(admin), cucumbers, rate)
    assert en in page and zh not in page


def test_a_failure_says_how_many_certificates_it_revoked_and_when_none(
    app: Flask, admin: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    headers = make_token("county_admin")
    issued = admin.post("/api/v1/certificates", json=issue_body(cucumbers), headers=headers)
    assert issued.status_code == 201, issued.get_json()  # the demo's one and this one
    page = record_test_on_page(admin, cucumbers, "66")
    assert "已开立案件 #1，撤销该批次有效合格证 2 张，该批次暂停开具合格证。" in page
    again = record_test_on_page(admin, cucumbers, "70")  # nothing valid is left to revoke
    assert (
        "已登记检测记录 T2：不合格，已开立案件 #2，该批次暂停开具合格证。"
        "该批次没有有效的合格证，未撤销任何合格证。" in again
    )
    assert "撤销该批次有效合格证 0 张" not in again and "撤销该批次合格证。" not in again


def save_case_action(app: Flask, client: FlaskClient, batch: Batch) -> str:
    record_test_on_page(client, batch, "66")  # a failed test opens case 1
    case_id = in_session(app, lambda s: s.exec(select(ComplianceCase.id)).one())
    path = f"/compliance/cases/{case_id}"
    data = {"csrf_token": form_csrf(client, path), "action": "investigate", "outcome": ""}
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_saved_case_action_is_confirmed_in_chinese(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    page = save_case_action(app, admin, cucumbers)
    assert "已保存。" in page and "Saved." not in page


def test_a_saved_case_action_is_confirmed_in_english_on_an_english_page(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    page = save_case_action(app, in_english(admin), cucumbers)
    assert "Saved." in page and "已保存。" not in page


def add_reference_entry(client: FlaskClient) -> str:
    data = {
        "csrf_token": form_csrf(client, "/compliance/reference"),
        "kind": "additive",
        "substance_zh": "测试添加物",
        "source": "测试公告",
        "verified": "check",
        "scope": "all",
    }
    response = client.post("/compliance/reference", data=data, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def toggle_reference_entry(app: Flask, client: FlaskClient) -> str:
    entry_id = in_session(
        app,
        lambda s: s.exec(
            select(ReferenceSubstance.id).where(ReferenceSubstance.substance_zh == "测试添加物")
        ).one(),
    )
    path = f"/compliance/reference/additive/{entry_id}/toggle"
    data = {"csrf_token": form_csrf(client, "/compliance/reference")}
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_reference_changes_are_confirmed_in_chinese(app: Flask, admin: FlaskClient) -> None:
    added = add_reference_entry(admin)
    assert "已添加，名录版本 " in added and "Added; list version" not in added
    toggled = toggle_reference_entry(app, admin)
    assert "已更新，名录版本 " in toggled and "Updated; list version" not in toggled


def test_reference_changes_are_confirmed_in_english_on_an_english_page(
    app: Flask, admin: FlaskClient
) -> None:
    added = add_reference_entry(in_english(admin))
    assert "Added; list version " in added and "已添加" not in added
    toggled = toggle_reference_entry(app, admin)
    assert "Updated; list version " in toggled and "已更新" not in toggled
