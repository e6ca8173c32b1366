"""The sampling plan page and its export: each supervisor plans the townships in its charge."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import col, select

from tests.traceability.compliance.conftest import in_session
from tests.traceability.signing_in import sign_in
from tests.traceability.supervision.test_overview import township_id
from tests.traceability.supervision.test_sampling import next_week
from traceability.models import AuditEntry

PRODUCERS = {
    "城关街道": ["青禾绿源蔬菜有限公司", "青禾县万家农产品收购站"],
    "清河镇": ["青禾县清河果蔬专业合作社", "李家庄生态家庭农场"],
    "石门乡": ["张秀英"],
}


@pytest.fixture
def county(app: Flask, client: FlaskClient, demo: dict[str, Any]) -> FlaskClient:
    return sign_in(app, client, "county", role="county_admin")


def townships_of(page: str) -> list[str]:
    """The township codes of the page's sections, in order (data-township)."""
    return [part.split('"', 1)[0] for part in page.split('data-township="')[1:]]


def test_a_county_admin_sees_a_plan_for_every_township(county: FlaskClient) -> None:
    page = county.get("/supervision/sampling?week=2026-12-09").get_data(as_text=True)
    assert townships_of(page) == ["379901001", "379901101", "379901201", "county"]
    assert "抽检计划" in page and "2026-W50" in page and "2026-12-07（周一）" in page
    for names in PRODUCERS.values():
        for name in names:
            assert name in page
    assert "风险分" in page and "信用等级" in page


def test_the_overview_links_to_the_plan(county: FlaskClient) -> None:
    page = county.get("/supervision/").get_data(as_text=True)
    assert 'href="/supervision/sampling"' in page and "本周抽检计划" in page


def test_a_township_supervisor_plans_only_its_own_township(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    shimen = township_id(app, "石门乡")
    sign_in(app, client, "shimen", role="township_supervisor", township_ids=[shimen])
    page = client.get("/supervision/sampling").get_data(as_text=True)
    assert townships_of(page) == ["379901201"]
    for name in PRODUCERS["城关街道"] + PRODUCERS["清河镇"]:
        assert name not in page
    export = client.get("/supervision/sampling/export?format=csv").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(export)))
    assert [(line[0], line[2]) for line in lines[1:]] == [("石门乡", "张秀英")]


@pytest.mark.parametrize("role", ["producer", "rapid_test_operator"])
def test_roles_that_do_not_supervise_are_refused(
    app: Flask, client: FlaskClient, demo: dict[str, Any], role: str
) -> None:
    sign_in(app, client, "someone", role=role, producer_id=1 if role == "producer" else None)
    assert client.get("/supervision/sampling").status_code == 403
    assert client.get("/supervision/sampling/export").status_code == 403


@pytest.mark.parametrize(
    ("query", "zh", "en"),
    [
        ("week=next-monday", "不是有效日期", "is not a date"),
        ("week=9999-12-31", "超出可查询的日期范围", "outside the dates"),
        ("per_township=0", "1 至 50 之间的整数", "from 1 to 50"),
        ("per_township=1000", "1 至 50 之间的整数", "from 1 to 50"),
        ("per_township=%C2%B2", "1 至 50 之间的整数", "from 1 to 50"),
    ],
)
def test_a_week_or_number_it_cannot_use_is_refused_in_both_languages(
    county: FlaskClient, query: str, zh: str, en: str
) -> None:
    for path in ("/supervision/sampling", "/supervision/sampling/export"):
        answer = county.get(f"{path}?{query}", headers={"Accept": "application/json"})
        assert answer.status_code == 422, (path, query)
        body = answer.get_json()
        assert zh in body["message_zh"] and en in body["message_en"]
    page = county.get(f"/supervision/sampling?{query}")
    assert page.status_code == 422 and zh in page.get_data(as_text=True)


def test_the_xlsx_export_holds_the_plans_rows_and_is_audited(
    app: Flask, county: FlaskClient
) -> None:
    page = county.get("/supervision/sampling?week=2026-12-09&per_township=1")
    assert "/supervision/sampling/export?format=xlsx&amp;week=2026-12-07&amp;per_township=1" in (
        page.get_data(as_text=True)
    )
    response = county.get("/supervision/sampling/export?format=xlsx&week=2026-12-09&per_township=1")
    assert response.mimetype is not None
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "sampling-plan-2026-W50.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "乡镇",
        "顺序",
        "生产主体",
        "统一社会信用代码",
        "信用等级",
        "风险分",
        "抽检理由",
        "上次检测",
    ]
    assert [r[0] for r in rows[1:]] == ["城关街道", "清河镇", "石门乡"]  # one each, in order
    for township, _order, producer, _code, grade, score, reasons, _last in rows[1:]:
        assert producer in PRODUCERS[str(township)] and grade in "ABCD"
        assert int(str(score)) > 0 and "+" in str(reasons)
    last = in_session(
        app, lambda s: s.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
    )
    assert (last.action, last.object_type) == ("supervision.export", "sampling_plan")
    assert last.after == {"format": "xlsx", "week": "2026-12-07", "per_township": 1}


def test_the_page_and_the_export_speak_english_on_request(county: FlaskClient) -> None:
    week = next_week().monday  # whose 30 days hold the demo's batches, harvested yesterday
    page = county.get(f"/supervision/sampling?lang=en&week={week}").get_data(as_text=True)
    assert "Sampling plan" in page and "Risk score" in page
    assert "no passing test" in page  # the reasons, in English
    assert "没有合格的检测" not in page
    export = county.get(f"/supervision/sampling/export?format=csv&lang=en&week={week}")
    lines = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Township", "Order", "Producer"]
    assert "no passing test" in lines[1][6]
