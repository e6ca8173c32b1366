"""A test's time is one the service can act on (a failed test revokes and blocks at once):
not ahead of the clock beyond a small skew, not long before the batch's harvest, and for a
sample of no known harvest not older than the two years records are kept. Refused, it is a
422 naming tested_at, and nothing is written."""

from __future__ import annotations

import html
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import add_test, count
from tests.traceability.signing_in import form_csrf
from traceability.beijing_time import CHINA
from traceability.errors import ValidationFailed
from traceability.models import Batch
from traceability.models.compliance import ComplianceCase, RapidTest


def _before_harvest(batch: Batch, days: int) -> str:
    assert batch.harvest_date is not None
    return datetime.combine(batch.harvest_date - timedelta(days=days), time(9), CHINA).isoformat()


def test_the_page_refuses_a_test_dated_1900_naming_the_field(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    data = {
        "csrf_token": form_csrf(admin, "/compliance/tests"),
        "method": "enzyme_inhibition",
        "batch_id": str(cucumbers.id),
        "inhibition_rate": "72",
        "operator": "检测员",
        "tested_at": "1900-01-01",
    }
    response = admin.post("/compliance/tests", data=data)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "检测时间（tested_at） 1900-01-01 00:00 早于该批次采收日期" in page
    assert "tested_at 1900-01-01 00:00 (Beijing time) is more than 30 days before" in page
    assert count(app, RapidTest) == 0 and count(app, ComplianceCase) == 0


def test_a_sample_tested_weeks_before_its_harvest_is_refused(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    body = {
        "method": "enzyme_inhibition",
        "batch_id": cucumbers.id,
        "inhibition_rate": "72",
        "operator": "检测员",
        "tested_at": _before_harvest(cucumbers, 31),
    }
    response = client.post("/api/v1/tests", json=body, headers=make_token())
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "invalid_field" and answer["details"] == {"field": "tested_at"}
    assert f"早于该批次采收日期 {cucumbers.harvest_date} 前 30 天" in answer["message_zh"]
    assert count(app, RapidTest) == 0 and count(app, ComplianceCase) == 0


def test_a_pre_harvest_field_test_is_accepted(app: Flask, cucumbers: Batch) -> None:
    add_test(app, cucumbers, tested_at=_before_harvest(cucumbers, 29))
    assert count(app, RapidTest) == 1


def _unbatched(**values: Any) -> dict[str, Any]:
    return {"batch_id": None, "product_name": "小白菜", **values}


def test_a_sample_of_no_known_harvest_may_be_two_years_old_and_no_older(
    app: Flask, cucumbers: Batch
) -> None:
    now = datetime.now(UTC)
    add_test(app, cucumbers, **_unbatched(tested_at=(now - timedelta(days=729)).isoformat()))
    with pytest.raises(ValidationFailed) as refused:
        add_test(app, cucumbers, **_unbatched(tested_at=(now - timedelta(days=731)).isoformat()))
    assert refused.value.details == {"field": "tested_at"}
    assert (
        "（两年前）" in refused.value.message_zh and "(two years ago)" in refused.value.message_en
    )
    assert count(app, RapidTest) == 1


def test_a_test_ahead_of_the_clock_is_refused_beyond_a_small_skew(
    app: Flask, cucumbers: Batch
) -> None:
    now = datetime.now(UTC)
    add_test(app, cucumbers, tested_at=(now + timedelta(minutes=5)).isoformat(), now=now)
    with pytest.raises(ValidationFailed) as refused:
        add_test(app, cucumbers, tested_at=(now + timedelta(hours=1)).isoformat(), now=now)
    assert refused.value.details == {"field": "tested_at"}
    assert (
        "晚于当前时间" in refused.value.message_zh
        and "is in the future" in refused.value.message_en
    )
    assert count(app, RapidTest) == 1
