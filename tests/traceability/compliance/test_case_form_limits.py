"""The case page's text fields stop where the service would refuse: the disposal at
`DISPOSAL_MAX` (300) characters, the closing note at `CLOSE_NOTE_MAX` (500), each its own
field, so nothing typed in the browser is refused only after it is sent."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.compliance.conftest import add_test, in_session
from tests.traceability.signing_in import form_csrf
from traceability.compliance import cases
from traceability.models import Batch
from traceability.models.compliance import ComplianceCase


def _case_id(app: Flask, batch: Batch) -> int:
    add_test(app, batch, inhibition_rate="66")
    return int(
        in_session(
            app,
            lambda s: s.exec(
                select(ComplianceCase.id).where(ComplianceCase.batch_id == batch.id)
            ).one(),
        )
    )


def _maxlength(page: str, name: str) -> int:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>', page)
    assert found, name
    limit = re.search(r'maxlength="(\d+)"', found.group(0))
    assert limit, found.group(0)
    return int(limit.group(1))


def test_the_disposal_and_the_note_fields_carry_the_services_limits(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    page = admin.get(f"/compliance/cases/{_case_id(app, cucumbers)}").get_data(as_text=True)
    assert _maxlength(page, "disposal") == cases.DISPOSAL_MAX == 300
    assert _maxlength(page, "note") == cases.CLOSE_NOTE_MAX == 500


def test_a_disposal_as_long_as_the_field_allows_is_saved(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _case_id(app, cucumbers)
    path = f"/compliance/cases/{case_id}"
    text = "销" * cases.DISPOSAL_MAX
    data = {"csrf_token": form_csrf(admin, path), "action": "disposal", "disposal": text}
    assert admin.post(path, data=data).status_code == 302
    assert in_session(app, lambda s: cases.get_case(s, case_id)).disposal == text
