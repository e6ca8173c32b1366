"""Rapid tests: GB/T 5009.199 inhibition rates, gold strips, lab reports, instrument CSVs."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import count
from traceability.compliance.testing import enzyme_result, inhibition_rate
from traceability.errors import ValidationFailed
from traceability.models import Batch
from traceability.models import compliance as records
from traceability.models.compliance import ComplianceCase, RapidTest


@pytest.mark.parametrize(
    ("rate", "result"), [("0", "pass"), ("49.99", "pass"), ("50", "fail"), ("100", "fail")]
)
def test_an_inhibition_rate_of_50_percent_or_more_is_positive(rate: str, result: str) -> None:
    assert enzyme_result(inhibition_rate(rate)) == records.TestResult(result)


@pytest.mark.parametrize("rate", ["-0.1", "100.01", "250", "abc", "", None, "NaN"])
def test_an_inhibition_rate_outside_0_to_100_is_invalid(rate: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        inhibition_rate(rate)
    assert caught.value.code == "invalid_inhibition_rate"


def test_the_rate_is_kept_to_two_decimals() -> None:
    assert inhibition_rate("37.456") == Decimal("37.46")


def test_the_api_rejects_an_invalid_rate_and_stores_nothing(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    body = {
        "batch_id": cucumbers.id,
        "method": "enzyme_inhibition",
        "inhibition_rate": 120,
        "operator": "x",
    }
    response = client.post("/api/v1/tests", json=body, headers=make_token("rapid_test_operator"))
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_inhibition_rate"
    assert count(app, RapidTest) == 0


def test_a_result_contradicting_the_rate_is_refused(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    body = {
        "batch_id": cucumbers.id,
        "method": "enzyme_inhibition",
        "inhibition_rate": 60,
        "result": "pass",
        "operator": "x",
    }
    response = client.post("/api/v1/tests", json=body, headers=make_token())
    assert response.get_json()["error"] == "result_mismatch"


def test_a_gold_strip_and_a_lab_report_are_recorded(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    headers = make_token("rapid_test_operator")
    strip = {
        "batch_id": cucumbers.id,
        "method": "colloidal_gold",
        "target": "克百威",
        "result": "阴性",
        "operator": "x",
        "instrument": "GS-7",
        "place": "清河镇农贸市场",
    }
    lab = {
        "batch_id": cucumbers.id,
        "method": "lab_report",
        "lab_name": "县检测站",
        "report_no": "R-1",
        "items": ["毒死蜱", "克百威"],
        "result": "合格",
        "operator": "y",
        "report_file": "reports/R-1.pdf",
    }
    for body in (strip, lab):
        response = client.post("/api/v1/tests", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["test"]["result"] == "pass"
    assert count(app, ComplianceCase) == 0


def test_a_producer_records_only_its_own_tests(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    other = make_token("producer", producer_id=cucumbers.producer_id + 1)
    body = {
        "batch_id": cucumbers.id,
        "method": "enzyme_inhibition",
        "inhibition_rate": 5,
        "operator": "x",
    }
    assert client.post("/api/v1/tests", json=body, headers=other).status_code == 403


def test_an_instrument_csv_imports_all_rows_or_none(
    app: Flask, cucumbers: Batch, cli: Callable[..., Result], tmp_path: Path
) -> None:
    good = tmp_path / "good.csv"
    day = cucumbers.harvest_date  # the instrument's local time on the day of the harvest
    good.write_text(
        "样品编号,批次编号,检测方法,抑制率,检测人,仪器编号,检测时间\n"
        f"S1,{cucumbers.id},enzyme_inhibition,12.3,张三,RP-01,{day}T08:00:00\n"
        f"S2,{cucumbers.id},enzyme_inhibition,64.0,张三,RP-01,{day}T08:05:00\n",
        encoding="utf-8-sig",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "sample_no,batch_id,method,inhibition_rate,operator\n"
        f"S3,{cucumbers.id},enzyme_inhibition,10,李四\n"
        f"S4,{cucumbers.id},enzyme_inhibition,104,李四\n",
        encoding="utf-8",
    )
    refused = cli("tests", "import", str(bad))
    assert refused.exit_code != 0 and "line 3" in refused.output
    assert count(app, RapidTest) == 0
    result = cli("tests", "import", str(good))
    assert result.exit_code == 0, result.output
    assert "imported 2 test(s), 1 failed" in result.output
    assert count(app, ComplianceCase) == 1
