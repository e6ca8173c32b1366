"""Compliance pages print times on Beijing's clock: a test done at 09:30 reads 09:30."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import failed_lab_case
from traceability.models import Batch


def test_a_test_entered_at_a_local_time_is_listed_and_cased_at_that_time(
    admin: FlaskClient, app: Flask, cucumbers: Batch
) -> None:
    # the instrument printed 2026-12-04 09:30 (Beijing): 01:30 UTC in the database
    case_id = failed_lab_case(app, cucumbers, tested_at="2026-12-04T09:30")
    listed = admin.get("/compliance/tests").get_data(as_text=True)
    assert "2026-12-04 09:30" in listed and "2026-12-04 01:30" not in listed
    page = admin.get(f"/compliance/cases/{case_id}").get_data(as_text=True)
    assert "2026-12-04 09:30" in page and "UTC" not in page
    # Friday 4 Dec: five working days run to Friday 11 Dec, to the end of that day
    assert "2026-12-11 23:59" in page
    assert "2026-12-11 23:59" in admin.get("/compliance/cases").get_data(as_text=True)
