"""Pages with a small form on every row: each id once on the page (valid HTML, and a screen
reader's label finds its own field), and each row's form still passes the CSRF check."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import add_test, in_session
from tests.traceability.page_forms import forms_on
from traceability.compliance import reference
from traceability.models import Batch
from traceability.models.compliance import LabReportFile, ReferenceKind, ReferenceSubstance


def test_the_tests_page_names_each_id_once_and_each_row_form_posts(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    lab = [
        add_test(
            app, cucumbers, method="lab_report", lab_name="站", report_no=f"R{n}", result="合格"
        )
        for n in range(3)
    ]
    page = forms_on(admin, "/compliance/tests")
    assert page.repeated_ids() == []
    assert page.ids["csrf_token"] == 1  # the entry form's own
    action = f"/compliance/tests/{lab[1]}/report"
    data = {"csrf_token": page.tokens[action], "report": (io.BytesIO(b"%PDF-1.4\n"), "r.pdf")}
    response = admin.post(action, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    stored = in_session(app, lambda s: s.exec(select(LabReportFile)).one())
    assert stored.rapid_test_id == lab[1]
    refused = admin.post(action, data={"report": (io.BytesIO(b"%PDF-1.4\n"), "r.pdf")})
    assert refused.status_code == 400  # and without the token, no file


def test_the_reference_page_names_each_id_once_and_each_toggle_posts(
    app: Flask, admin: FlaskClient
) -> None:
    def entries(session: Session) -> list[int]:
        values = {"substance_zh": "", "source": "测试公告", "scope": "all", "verified": "check"}
        added = [
            reference.add_entry(
                session, ReferenceKind.ADDITIVE, values | {"substance_zh": f"物质{n}"}, actor="t"
            )[0]
            for n in range(3)
        ]
        return [row.id for row in added if row.id is not None]

    ids = in_session(app, entries)
    page = forms_on(admin, "/compliance/reference")
    assert page.repeated_ids() == []
    action = f"/compliance/reference/additive/{ids[2]}/toggle"
    assert admin.post(action, data={"csrf_token": page.tokens[action]}).status_code == 302
    row = in_session(app, lambda s: s.get(ReferenceSubstance, ids[2]))
    assert row is not None and not row.active
