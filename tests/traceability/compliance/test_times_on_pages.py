"""Compliance pages print times on Beijing's clock: a test done at 09:30 reads 09:30."""

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


def test_a_test_entered_at_a_local_time_is_listed_and_cased_at_that_time(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    # the instrument printed 2026-12-04 09:30 (Beijing): 01:30 UTC in the database
    add_test(
        app,
        cucumbers,
        method="lab_report",
        lab_name="青禾县农产品质量安全检测站",
        report_no="QH2026-0099",
        items=["毒死蜱"],
        result="fail",
        tested_at="2026-12-04T09:30",
    )
    listed = admin.get("/compliance/tests").get_data(as_text=True)
    assert "2026-12-04 09:30" in listed and "2026-12-04 01:30" not in listed
    case_id = in_session(
        app,
        lambda s: s.exec(
            select(ComplianceCase.id).where(ComplianceCase.batch_id == cucumbers.id)
        ).one(),
    )
    page = admin.get(f"/compliance/cases/{case_id}").get_data(as_text=True)
    assert "2026-12-04 09:30" in page and "UTC" not in page
    # Friday 4 Dec: five working days run to Friday 11 Dec, to the end of that day
    assert "2026-12-11 23:59" in page
    assert "2026-12-11 23:59" in admin.get("/compliance/cases").get_data(as_text=True)
