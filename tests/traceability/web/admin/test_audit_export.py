"""The audit log leaves the service as CSV or XLSX for an inspection: the filters of the
page, every column, formulas defused, and the export itself on record."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import select

from tests.traceability.signing_in import sign_in
from traceability.audit import record_audit
from traceability.beijing_time import SECONDS, format_beijing
from traceability.db import get_engine, session_scope
from traceability.models import AuditEntry


@pytest.fixture
def auditor(app: Flask, client: FlaskClient) -> FlaskClient:
    with app.app_context(), session_scope(get_engine()) as session:
        record_audit(
            session,
            "user:41",
            "producer.suspend",
            object_type="producer",
            object_id=7,
            before={"status": "active"},
            after={"status": "suspended"},
            reason="抽检不合格",
            remote_addr="10.0.0.8",
        )
        record_audit(
            session, "token:3", "certificate.issue", object_type="certificate", object_id=9
        )
        record_audit(  # a name typed by someone hoping a spreadsheet runs it
            session, "user:42", "producer.create", object_type="producer", reason="=HYPERLINK(1)"
        )
    sign_in(app, client, "county", role="county_admin")
    return client


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # Excel in a Chinese locale reads it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_export_follows_the_filters_and_keeps_every_column(
    app: Flask, auditor: FlaskClient
) -> None:
    response = auditor.get(
        "/admin/audit/export?format=csv&object_type=producer&action=producer.suspend"
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert re.fullmatch(
        r'attachment; filename="audit-\d{8}-\d{4}\.csv"', response.headers["Content-Disposition"]
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    header, *rows = _csv_rows(response.data)
    assert header[:5] == ["时间（北京时间）", "操作人", "操作人姓名", "角色", "操作"]
    (row,) = rows
    named = dict(zip(header, row, strict=True))
    assert named["操作人"] == "user:41" and named["对象编号"] == "7"
    assert named["之前"] == '{"status": "active"}' and named["之后"] == '{"status": "suspended"}'
    assert (named["原因"], named["来源地址"]) == ("抽检不合格", "10.0.0.8")
    with app.app_context(), session_scope(get_engine()) as session:
        at = (
            session.exec(select(AuditEntry).where(AuditEntry.action == "producer.suspend")).one().at
        )
    assert named["时间（北京时间）"] == format_beijing(at, SECONDS)  # UTC + 8 h, as people read it


def test_xlsx_export_reads_back_and_defuses_formulas(app: Flask, auditor: FlaskClient) -> None:
    response = auditor.get("/admin/audit/export?format=xlsx&object_type=producer")
    assert response.mimetype is not None
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True)["审计日志"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [r[4] for r in rows[1:]] == ["producer.create", "producer.suspend"]  # newest first
    assert rows[1][7] == "'=HYPERLINK(1)"


def test_the_export_is_itself_audited(app: Flask, auditor: FlaskClient) -> None:
    auditor.get("/admin/audit/export?format=csv&actor=token:3")
    with app.app_context(), session_scope(get_engine()) as session:
        last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None and last.action == "audit.export"
    assert last.after == {"format": "csv", "filters": {"actor": "token:3"}, "rows": 1}


def test_the_page_links_the_export_with_its_filters(auditor: FlaskClient) -> None:
    page = auditor.get("/admin/audit?actor=token:3&before=99").get_data(as_text=True)
    assert "/admin/audit/export?format=xlsx&amp;actor=token:3" in page
    assert "before=99" not in page.split("exports", 1)[1].split("</p>", 1)[0]


def test_a_stray_format_in_the_page_address_does_not_break_the_export_links(
    auditor: FlaskClient,
) -> None:
    page = auditor.get("/admin/audit?format=exe&actor=token:3")
    assert page.status_code == 200
    links = page.get_data(as_text=True).split("exports", 1)[1].split("</p>", 1)[0]
    assert "/admin/audit/export?format=xlsx&amp;actor=token:3" in links and "exe" not in links


def test_an_unknown_format_is_refused_in_both_languages(auditor: FlaskClient) -> None:
    response = auditor.get("/admin/audit/export?format=pdf", headers={"Accept": "application/json"})
    assert response.status_code == 422
    body = response.get_json()
    assert "csv 或 xlsx" in body["message_zh"] and "csv or xlsx" in body["message_en"]


def test_only_county_admins_export(app: Flask, client: FlaskClient, demo: dict[str, Any]) -> None:
    sign_in(app, client, "inspector", role="rapid_test_operator")
    assert client.get("/admin/audit/export?format=csv").status_code == 403


def test_the_export_follows_the_page_language_and_names_roles(
    app: Flask, auditor: FlaskClient
) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        entry = record_audit(session, "user:43", "user.create", object_type="user")
        entry.role = "county_admin"
    exported = auditor.get("/admin/audit/export?format=csv&actor=user:43").data
    chinese = dict(zip(*_csv_rows(exported), strict=True))
    assert chinese["角色"] == "县级管理员"
    english = auditor.get("/admin/audit/export?format=xlsx&actor=user:43&lang=en")
    sheet = load_workbook(io.BytesIO(english.data), read_only=True)["Audit log"]
    header, row = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[:5] == ["Time (Beijing)", "Actor", "Actor name", "Role", "Action"]
    assert (row[3], row[4]) == ("County administrator", "user.create")
