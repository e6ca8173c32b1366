"""The overview page and its export: each supervisor sees the townships in its charge."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import select

from tests.traceability.compliance.conftest import in_session
from tests.traceability.signing_in import sign_in
from traceability.models import AuditEntry, Region

TOWNSHIPS = ("城关街道", "清河镇", "石门乡")


def township_id(app: Flask, name: str) -> int:
    return int(
        in_session(app, lambda s: s.exec(select(Region.id).where(Region.name == name)).one())
    )


@pytest.fixture
def county(app: Flask, client: FlaskClient, demo: dict[str, Any]) -> FlaskClient:
    return sign_in(app, client, "county", role="county_admin")


def rows_of(page: str) -> list[str]:
    """The township keys of the table's rows, in order (data-township)."""
    return [part.split('"', 1)[0] for part in page.split('data-township="')[1:]]


def test_a_county_admin_sees_every_township_the_county_row_and_the_totals(
    county: FlaskClient,
) -> None:
    page = county.get("/supervision/").get_data(as_text=True)
    assert rows_of(page) == ["379901001", "379901101", "379901201", "county", "total"]
    assert "监管概览" in page and "开证率" in page
    for name in TOWNSHIPS:
        assert name in page


def test_a_township_supervisor_sees_only_its_own_township(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    shimen = township_id(app, "石门乡")
    sign_in(app, client, "shimen", role="township_supervisor", township_ids=[shimen])
    page = client.get("/supervision/").get_data(as_text=True)
    assert rows_of(page) == ["379901201", "total"]
    assert "清河镇" not in page and "城关街道" not in page
    export = client.get("/supervision/export?format=csv").data.decode("utf-8-sig")
    assert [line[0] for line in csv.reader(io.StringIO(export))][1:] == ["石门乡", "合计"]


@pytest.mark.parametrize("role", ["producer", "rapid_test_operator"])
def test_roles_that_do_not_supervise_are_refused(
    app: Flask, client: FlaskClient, demo: dict[str, Any], role: str
) -> None:
    sign_in(app, client, "someone", role=role, producer_id=1 if role == "producer" else None)
    assert client.get("/supervision/").status_code == 403
    assert client.get("/supervision/export").status_code == 403


def test_signed_out_visitors_are_sent_to_the_login_page(client: FlaskClient) -> None:
    response = client.get("/supervision/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_period_it_cannot_use_is_refused_in_both_languages(county: FlaskClient) -> None:
    response = county.get(
        "/supervision/?from=2026-12-31&to=2026-12-01", headers={"Accept": "application/json"}
    )
    assert response.status_code == 422
    body = response.get_json()
    assert "晚于截止日期" in body["message_zh"] and "swap them" in body["message_en"]
    page = county.get("/supervision/?from=yesterday")
    assert page.status_code == 422 and "2026-01-31" in page.get_data(as_text=True)


def test_the_xlsx_export_holds_the_table_and_is_audited(app: Flask, county: FlaskClient) -> None:
    page = county.get("/supervision/?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "/supervision/export?format=xlsx&amp;from=2026-11-01&amp;to=2026-11-30" in page
    response = county.get("/supervision/export?format=xlsx&from=2026-11-01&to=2026-11-30")
    assert response.mimetype is not None
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["乡镇", "登记主体", "开证主体", "开证率"]
    assert [r[0] for r in rows[1:]] == [*TOWNSHIPS, "县级及未关联乡镇", "合计"]
    assert rows[-1][1] == 5
    last = in_session(
        app,
        lambda s: s.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first(),  # type: ignore[union-attr]
    )
    assert last.action == "supervision.export"
    assert last.after == {"format": "xlsx", "from": "2026-11-01", "to": "2026-11-30"}


def test_the_page_and_the_export_speak_english_on_request(county: FlaskClient) -> None:
    page = county.get("/supervision/?lang=en").get_data(as_text=True)
    assert "Township overview" in page and "Issuing rate" in page
    export = county.get("/supervision/export?format=csv&lang=en").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(export)))
    assert lines[0][:3] == ["Township", "Registered producers", "Producers issuing"]
    assert lines[-1][0] == "Total"
    assert [line[0] for line in lines[-2:]] == ["County level / no township", "Total"]
    assert not [line[0] for line in lines if "县级" in line[0]]


def test_the_county_rows_export_names_unknown_sellers_in_the_readers_language(
    county: FlaskClient,
) -> None:
    path = "/supervision/export?format=csv&township=county"
    chinese = list(csv.reader(io.StringIO(county.get(path).data.decode("utf-8-sig"))))
    assert [line[0] for line in chinese[-2:]] == ["来源不明的抽检", "合计"]
    english = county.get(path + "&lang=en").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(english)))
    assert [line[0] for line in lines[-2:]] == ["Samples from unknown sellers", "Total"]
    book = load_workbook(io.BytesIO(county.get(path.replace("csv", "xlsx") + "&lang=en").data))
    names = [row[0] for row in book.worksheets[0].iter_rows(values_only=True)]
    assert names[-2:] == ["Samples from unknown sellers", "Total"]


def test_an_unknown_export_format_is_refused(county: FlaskClient) -> None:
    response = county.get("/supervision/export?format=pdf", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert "csv or xlsx" in response.get_json()["message_en"]


def producer_rows(page: str) -> list[str]:
    """The producer keys of a drill-down's rows, in order (data-producer)."""
    return [part.split('"', 1)[0] for part in page.split('data-producer="')[1:]]


def test_a_township_row_links_to_its_producers_with_the_same_period(
    app: Flask, county: FlaskClient
) -> None:
    qinghe = township_id(app, "清河镇")
    overview = county.get("/supervision/?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    link = f"/supervision/?township={qinghe}&amp;from=2026-11-01&amp;to=2026-11-30"
    assert link in overview
    page = county.get(link.replace("&amp;", "&"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "清河镇 · 各生产主体" in text
    assert len(producer_rows(text)) == 3 and producer_rows(text)[-1] == "total"
    assert "青禾县清河果蔬专业合作社" in text and "未开证" in text  # nobody issued in November
    assert "/admin/producers/" in text
    assert f'name="township" value="{qinghe}"' in text  # the period form keeps the township
    export = county.get(f"/supervision/export?format=csv&township={qinghe}")
    assert "producers-379901101-" in export.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert lines[0][0] == "生产主体" and lines[-1][0] == "合计" and len(lines) == 4


def test_a_township_supervisor_opens_only_its_own_township(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    shimen, qinghe = township_id(app, "石门乡"), township_id(app, "清河镇")
    sign_in(app, client, "shimen", role="township_supervisor", township_ids=[shimen])
    assert client.get(f"/supervision/?township={shimen}").status_code == 200
    for other in (str(qinghe), "county", "x1", "²", "-1", ""):
        answer = client.get(
            f"/supervision/?township={other}", headers={"Accept": "application/json"}
        )
        assert answer.status_code == 404, other
        assert "辖区" in answer.get_json()["message_zh"]
    assert client.get(f"/supervision/export?format=csv&township={qinghe}").status_code == 404


def test_the_county_row_opens_for_the_county_admin(county: FlaskClient) -> None:
    page = county.get("/supervision/?township=county").get_data(as_text=True)
    assert "县级及未关联乡镇 · 各生产主体" in page
    assert producer_rows(page)[-2:] == ["unknown", "total"]
    english = county.get("/supervision/?township=county&lang=en").get_data(as_text=True)
    assert "Producer" in english and "Back to the townships" in english


def test_the_page_shows_the_trend_per_week_with_the_previous_period(county: FlaskClient) -> None:
    page = county.get("/supervision/?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "趋势：按周" in page and 'class="grid trend"' in page
    buckets = [part.split('"', 1)[0] for part in page.split('data-bucket="')[1:]]
    assert buckets == [
        "2026-11-01",  # a Sunday: the week is cut to the period
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
        "2026-11-30",
        "current",
        "previous",
        "change",
    ]
    assert "（1 天）" in page  # the cut weeks say how long they are
    assert "2026-10-02 至 2026-10-31" in page  # the previous period, as long as this one
    longer = county.get("/supervision/?from=2026-01-01&to=2026-11-30").get_data(as_text=True)
    assert "趋势：按月" in longer and 'data-bucket="2026-06-01"' in longer


def test_the_trend_and_the_grades_speak_english_on_request(county: FlaskClient) -> None:
    page = county.get("/supervision/?lang=en").get_data(as_text=True)
    assert "Trend: by week" in page and "This period" in page and "Previous period" in page
    assert "Credit A" in page and "seriously untrustworthy" in page


def test_township_rows_count_producers_per_grade_and_link_to_the_credit_page(
    county: FlaskClient,
) -> None:
    page = county.get("/supervision/").get_data(as_text=True)
    assert "信用 D" in page and 'href="/compliance/credit"' in page
    row = page.split('data-township="379901001"', 1)[1].split("</tr>", 1)[0]
    cells = [cell.split("</td>", 1)[0] for cell in row.split("<td")[1:]]
    assert [cell.rsplit(">", 1)[-1] for cell in cells[-4:]] == ["0", "1", "1", "0"]  # B and C


def test_each_producer_row_shows_its_grade_linked_to_its_line_on_the_credit_page(
    app: Flask, county: FlaskClient
) -> None:
    qinghe = township_id(app, "清河镇")
    page = county.get(f"/supervision/?township={qinghe}").get_data(as_text=True)
    cooperative = page.split('data-producer="2"', 1)[1].split("</tr>", 1)[0]
    assert 'href="/compliance/credit#producer-2"' in cooperative
    assert "B</strong> 良好" in cooperative and "75 分" in cooperative
    assert 'id="producer-2"' in county.get("/compliance/credit").get_data(as_text=True)


def test_the_xlsx_export_has_the_trend_on_a_second_sheet(county: FlaskClient) -> None:
    response = county.get("/supervision/export?format=xlsx&from=2026-11-01&to=2026-11-30")
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    assert workbook.sheetnames == ["2026-11-01_2026-11-30", "趋势 2026-11-01_2026-11-30"]
    table = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    assert table[0][-4:] == [
        "信用A（优秀）",
        "信用B（良好）",
        "信用C（信用警示）",
        "信用D（严重失信）",
    ]
    assert sum(table[-1][-4:]) == 5  # every registered producer holds a grade
    trend = [list(r) for r in workbook.worksheets[1].iter_rows(values_only=True)]
    assert trend[0][:5] == ["时段", "起始日期", "截止日期", "天数", "合格证"]
    assert trend[1][:4] == ["2026-11-01 起一周", "2026-11-01", "2026-11-01", 1]
    assert [line[0] for line in trend[-4:]] == ["本期合计", "上期", "较上期增减", "较上期增减率(%)"]
    assert trend[-3][1:4] == ["2026-10-02", "2026-10-31", 30]


def test_the_csv_export_of_the_trend_follows_the_township_and_is_audited(
    app: Flask, county: FlaskClient
) -> None:
    shimen = township_id(app, "石门乡")
    response = county.get(
        f"/supervision/export?format=csv&view=trend&township={shimen}&from=2026-11-01&to=2026-11-30"
    )
    assert (
        "producers-379901201-trend-2026-11-01-2026-11-30.csv"
        in (response.headers["Content-Disposition"])
    )
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert lines[0][0] == "时段" and lines[-4][0] == "本期合计" and len(lines) == 1 + 6 + 4
    last = in_session(
        app,
        lambda s: s.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first(),  # type: ignore[union-attr]
    )
    assert last.after == {"format": "csv", "from": "2026-11-01", "to": "2026-11-30",
                          "township": str(shimen), "view": "trend"}  # fmt: skip
    english = county.get("/supervision/export?format=csv&view=trend&lang=en")
    header = next(csv.reader(io.StringIO(english.data.decode("utf-8-sig"))))
    assert header[:5] == ["Period", "From", "To", "Days", "Certificates"]


@pytest.mark.parametrize("view", ["chart", "%C2%B2", "TREND", ""])
def test_an_unknown_export_view_is_refused(county: FlaskClient, view: str) -> None:
    response = county.get(
        f"/supervision/export?format=csv&view={view}", headers={"Accept": "application/json"}
    )
    assert response.status_code == 422
    assert "table or trend" in response.get_json()["message_en"]


@pytest.mark.parametrize(
    "query", ["from=0001-01-01&to=0001-01-31", "to=0001-01-05", "from=9999-12-01&to=9999-12-31"]
)
def test_dates_at_the_ends_of_the_calendar_are_refused_not_an_error(
    county: FlaskClient, query: str
) -> None:
    for path in ("/supervision/?", "/supervision/export?format=csv&view=trend&"):
        response = county.get(path + query, headers={"Accept": "application/json"})
        assert response.status_code == 422, path
        assert "2000-01-01" in response.get_json()["message_en"]


def test_a_supervisors_drill_down_lists_an_unknown_sellers_sample_taken_there(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    from traceability.compliance.testing import record_test

    shimen = township_id(app, "石门乡")
    values = {"method": "enzyme_inhibition", "product_name": "小白菜", "inhibition_rate": "71",
              "operator": "快检员", "township": shimen}  # fmt: skip
    in_session(app, lambda s: record_test(s, values, recorded_by="test"))
    sign_in(app, client, "shimen", role="township_supervisor", township_ids=[shimen])
    page = client.get(f"/supervision/?township={shimen}").get_data(as_text=True)
    assert producer_rows(page)[-2:] == ["unknown", "total"]
    assert "来源不明的抽检" in page
