"""The ledger: searchable, exportable to CSV and XLSX, and kept only as long as required."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, scan
from tests.traceability.intake.test_verdict_details import PNG, _paper, _tampered
from traceability.db import get_engine, session_scope
from traceability.intake.ledger import (
    COLUMNS,
    VERDICT_EN,
    VERDICT_ZH,
    LedgerQuery,
    purge_expired,
    search,
    to_csv,
)
from traceability.models import IntakeRecord

NAMES = [name for name, _ in COLUMNS]
VERDICT, REASON, METHOD = NAMES.index("verdict"), NAMES.index("reason"), NAMES.index("method")


def test_search_by_product_supplier_certificate_and_date(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market = make_market()
    cucumbers, mushrooms = issue(0, 2), issue(1, 2)
    scan(client, market, cucumbers.urls[0], supplier="甲配送")
    scan(client, market, mushrooms.urls[0], supplier="乙配送")

    def found(**params: str) -> list[str]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        body = client.get(f"/api/v1/intake/ledger?{query}", headers=market.headers).get_json()
        return sorted(r["certificate_number"] for r in body["records"])

    assert found() == sorted([cucumbers.number, mushrooms.number])
    assert found(product="黄瓜") == [cucumbers.number]
    assert found(supplier="乙") == [mushrooms.number]
    assert found(certificate=mushrooms.number) == [mushrooms.number]
    today = datetime.now(UTC).astimezone().date()
    assert (
        len(found(**{"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}))
        == 2
    )
    assert found(**{"to": str(today - timedelta(days=3))}) == []


def test_csv_and_xlsx_exports_read_back(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue(0, 3)
    scan(client, market, *cert.urls, supplier='=HYPERLINK("x")', inspector="李娜")
    response = client.get("/api/v1/intake/ledger?format=csv", headers=market.headers)
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == [title for _, title in COLUMNS]
    assert len(rows) == 4
    assert {r[6] for r in rows[1:]} == {cert.number}
    assert {r[1] for r in rows[1:]} == {'\'=HYPERLINK("x")'}  # no formula injection

    xlsx = client.get("/api/v1/intake/ledger?format=xlsx", headers=market.headers)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == [title for _, title in COLUMNS]
    assert len(values) == 4
    assert {v[6] for v in values[1:]} == {cert.number}
    assert {v[14] for v in values[1:]} == {"李娜"}
    assert [v[3] for v in values[1:]] == [16.667] * 3  # a third of the 50 kg lot each


def test_records_older_than_the_retention_period_are_purged(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market, cert = make_market(), issue(0, 2)
    scan(client, market, *cert.urls)
    assert app.config["RECORD_RETENTION_DAYS"] == 730
    with app.app_context(), session_scope(get_engine()) as session:
        old = session.exec(select(IntakeRecord)).first()
        assert old is not None
        old.received_at = datetime.now(UTC) - timedelta(days=731)
        session.add(old)
    with app.app_context(), session_scope(get_engine()) as session:
        assert purge_expired(session, 730, home=app.config["TRACEABILITY_HOME"]) == 1
    with app.app_context(), session_scope(get_engine()) as session:
        assert len(session.exec(select(IntakeRecord)).all()) == 1


def _age_every_line(app: Flask, days: int) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        for record in session.exec(select(IntakeRecord)).all():
            record.received_at = datetime.now(UTC) - timedelta(days=days)
            session.add(record)


def _photos(app: Flask) -> list[Path]:
    return sorted((Path(app.config["TRACEABILITY_HOME"]) / "intake_photos").rglob("*.png"))


def test_a_purge_deletes_the_photos_of_the_lines_it_deletes(
    app: Flask, client: FlaskClient, make_market: Callable[..., MarketFixture]
) -> None:
    market = make_market()
    _paper(client, market, "EXT-2026-0001", "土鸡蛋")
    _paper(client, market, "EXT-2026-0002", "土鸡蛋")
    assert len(_photos(app)) == 2
    _age_every_line(app, 731)
    with app.app_context(), session_scope(get_engine()) as session:
        assert purge_expired(session, 730, home=app.config["TRACEABILITY_HOME"]) == 2
        assert len(_photos(app)) == 2  # not before the commit
    assert _photos(app) == []


def test_a_purge_whose_commit_fails_keeps_every_line_and_its_photo(
    app: Flask, client: FlaskClient, make_market: Callable[..., MarketFixture]
) -> None:
    """The connection is lost between the delete and the commit: nothing is deleted, so
    no ledger line is left pointing at a photo that is gone."""
    market = make_market()
    uuids = [_paper(client, market, f"EXT-2026-000{n}", "土鸡蛋")["record"]["uuid"] for n in (1, 2)]
    _age_every_line(app, 731)
    with pytest.raises(SQLAlchemyError), app.app_context(), session_scope(get_engine()) as session:
        assert purge_expired(session, 730, home=app.config["TRACEABILITY_HOME"]) == 2
        session.connection().invalidate()  # the database goes away before the commit
    assert len(_photos(app)) == 2
    for record_uuid in uuids:
        photo = client.get(f"/api/v1/intake/records/{record_uuid}/photo", headers=market.headers)
        assert photo.status_code == 200 and photo.data == PNG


def _ledger_of_every_kind(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> MarketFixture:
    """One line of each verdict: genuine, received again, other market, forged, a paper
    certificate (plain and for another product)."""
    market, elsewhere, cert = make_market(), make_market("城南农贸市场", "farmers_market"), issue()
    scan(client, elsewhere, cert.urls[3])
    scan(client, market, cert.urls[0], cert.urls[0], cert.urls[3], _tampered(cert.urls[1]))
    scan(client, market, cert.urls[2], inspector="李娜")
    _paper(client, market, "EXT-2026-0001", "土鸡蛋")
    _paper(client, market, cert.number, "榴莲")
    return market


def _csv(client: FlaskClient, market: MarketFixture, query: str = "") -> list[list[str]]:
    data = client.get(f"/api/v1/intake/ledger?format=csv{query}", headers=market.headers).data
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _by_header(rows: list[list[Any]]) -> dict[str, dict[str, Any]]:
    """Each line by its record UUID, its cells named by the header above them."""
    header = rows[0]
    assert all(len(r) == len(header) for r in rows), [len(r) for r in rows]
    lines = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    return {str(line["记录编号 Record UUID"]): line for line in lines}


def test_the_english_export_says_verdicts_details_and_method_in_english(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market = _ledger_of_every_kind(client, make_market, issue)
    titles = [title for _, title in COLUMNS]
    chinese, english = _csv(client, market), _csv(client, market, "&lang=en")
    # the headers say both languages in either file, as the recall report's do
    assert chinese[0] == english[0] == titles
    assert {(r[VERDICT], r[REASON], r[METHOD]) for r in english[1:]} == {
        ("Genuine", "", "Code scan"),
        ("Received again", "", "Code scan"),
        ("Already received by another market", "", "Code scan"),
        ("Not genuine", "forged or altered", "Code scan"),
        ("Paper certificate", "", "Paper"),
        ("Paper certificate", "product differs", "Paper"),
    }
    # the Chinese file is the regulation's record, in the page's words
    assert {(r[VERDICT], r[REASON], r[METHOD]) for r in chinese[1:]} == {
        ("真品", "", "扫码"),
        ("重复收货", "", "扫码"),
        ("已被其他市场收货", "", "扫码"),
        ("无法验证", "伪造或被篡改", "扫码"),
        ("纸质合格证", "", "纸质"),
        ("纸质合格证", "产品与合格证不符", "纸质"),
    }
    # everything else is the same cell for cell
    assert sorted(r[:VERDICT] + r[METHOD + 1 :] for r in chinese[1:]) == sorted(
        r[:VERDICT] + r[METHOD + 1 :] for r in english[1:]
    )

    # (the English answer left the language cookie: Chinese is asked for by name)
    for query, sheet_name, genuine in (
        ("&lang=zh_CN", "进货查验记录", "真品"),
        ("&lang=en", "Intake ledger", "Genuine"),
    ):
        xlsx = client.get(f"/api/v1/intake/ledger?format=xlsx{query}", headers=market.headers)
        book = load_workbook(io.BytesIO(xlsx.data))
        assert book.sheetnames == [sheet_name]
        values = list(book.active.iter_rows(values_only=True))
        assert list(values[0]) == titles
        assert genuine in {v[VERDICT] for v in values[1:]}


def test_the_english_export_follows_the_language_the_user_chose(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    market = make_market()
    scan(client, market, issue(0, 1).urls[0])
    client.get("/?lang=en")  # the language cookie, as the English page leaves it
    [_, line] = _csv(client, market)
    assert (line[VERDICT], line[METHOD]) == ("Genuine", "Code scan")
    [_, line] = _csv(client, market, "&lang=zh_CN")
    assert (line[VERDICT], line[METHOD]) == ("真品", "扫码")


def test_every_verdict_fills_every_column_under_its_own_header(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    """Paper certificates, other-market and forged lines have no serial, or no product:
    their cells stay under their headers (查验说明 right after 查验结果), in both files."""
    market = _ledger_of_every_kind(client, make_market, issue)
    records = client.get("/api/v1/intake/ledger", headers=market.headers).get_json()["records"]
    xlsx = client.get("/api/v1/intake/ledger?format=xlsx", headers=market.headers)
    sheet = [
        list(v) for v in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True)
    ]
    for lines in (_by_header(_csv(client, market)), _by_header(sheet)):
        assert set(lines) == {r["uuid"] for r in records}
        for record in records:
            line = lines[record["uuid"]]
            assert (line["合格证编号 Certificate No."] or "") == record["certificate_number"]
            assert (line["追溯码 Serial"] or "") == (record["serial"] or "")
            assert (line["产品名称 Product"] or "") == record["product"]
            assert (line["开具者 Issuer"] or "") == record["issuer"]
            assert (line["查验人 Inspector"] or "") == record["inspector"]
            assert (line["查验说明 Verdict detail"] or "") == record["reason_zh"]
            assert line["查验结果 Verdict"] == VERDICT_ZH[record["verdict"]]
            assert line["方式 Method"] == {"code": "扫码", "paper": "纸质"}[record["method"]]


def test_an_export_of_some_columns_puts_each_cell_under_its_header(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    """`to_csv` takes the columns to write: the cells follow them, not the full layout."""
    market = _ledger_of_every_kind(client, make_market, issue)
    some = [c for c in COLUMNS if c[0] in ("reason", "certificate_number", "verdict", "serial")]
    with app.app_context(), session_scope(get_engine()) as session:
        records = search(session, LedgerQuery(market_id=market.id))
        rows = list(csv.reader(io.StringIO(to_csv(records, some).decode("utf-8-sig"))))
        expected = {(r.certificate_number, r.verdict, r.serial or "") for r in records}
    assert rows[0] == [title for _, title in some]
    assert {(number, verdict, serial) for number, verdict, _, serial in rows[1:]} == {
        (number, VERDICT_ZH[verdict], serial) for number, verdict, serial in expected
    }


def _page_labels(client: FlaskClient, query: str = "") -> dict[str, str]:
    page = client.get(f"/intake{query}").get_data(as_text=True)
    found = re.search(
        r'<script id="intake-messages" type="application/json">(.*?)</script>', page, re.S
    )
    assert found is not None
    return dict(json.loads(found.group(1))["labels"])


def test_an_item_received_again_reads_alike_on_the_page_in_the_export_and_in_the_answer(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    """重复收货 (received again) is what the ledger records: this market already received
    the item. The page, both exports and the API's message use the one term."""
    market, cert = make_market(), issue(0, 1)
    scan(client, market, cert.urls[0])
    [again] = scan(client, market, cert.urls[0])
    assert again["verdict"] == "over_scanned"
    assert again["message_zh"].startswith("重复收货")
    assert again["message_en"].startswith("Received again")
    assert [r[VERDICT] for r in _csv(client, market)[1:]] == ["重复收货", "真品"]
    chinese, english = _page_labels(client), _page_labels(client, "?lang=en")
    assert chinese["over_scanned"] == VERDICT_ZH["over_scanned"] == "重复收货"
    assert english["over_scanned"] == VERDICT_EN["over_scanned"] == "Received again"
    for verdict in ("genuine", "revoked", "not_genuine", "other_market"):
        assert (chinese[verdict], english[verdict]) == (VERDICT_ZH[verdict], VERDICT_EN[verdict])
    assert [r[VERDICT] for r in _csv(client, market, "&lang=en")[1:]] == [
        "Received again",
        "Genuine",
    ]


def test_the_ledger_search_says_when_older_lines_are_left_out_and_the_exports_hold_them_all(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    """The page's search answers the newest 500 lines and says there are more; CSV and
    XLSX hold every line the search finds."""
    market, cert = make_market(), issue(0, 501)
    scan(client, market, *cert.urls[:500])
    search = client.get("/api/v1/intake/ledger", headers=market.headers).get_json()
    assert (len(search["records"]), search["limit"], search["more"]) == (500, 500, False)
    [last] = scan(client, market, cert.urls[500])
    search = client.get("/api/v1/intake/ledger", headers=market.headers).get_json()
    assert (len(search["records"]), search["limit"], search["more"]) == (500, 500, True)
    assert search["records"][0]["uuid"] == last["record"]["uuid"]  # the newest first

    assert len(_csv(client, market)) == 1 + 501
    data = client.get("/api/v1/intake/ledger?format=xlsx", headers=market.headers).data
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None and sheet.max_row == 1 + 501


def test_an_export_finding_more_lines_than_it_may_hold_is_refused_not_cut_short(
    app: Flask,
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    issue: Callable[..., IssuedFixture],
) -> None:
    """A file missing lines would pass for the whole ledger in an inspection; the refusal
    says to narrow the dates (INTAKE_EXPORT_MAX_LINES, 200,000 by default)."""
    app.config["INTAKE_EXPORT_MAX_LINES"] = 2
    market, first, second = make_market(), issue(0, 2), issue(1, 1)
    scan(client, market, *first.urls, *second.urls)
    for kind in ("csv", "xlsx"):
        refused = client.get(f"/api/v1/intake/ledger?format={kind}", headers=market.headers)
        assert refused.status_code == 422
        body = refused.get_json()
        assert body["error"] == "export_too_large"
        assert "超过 2 条" in body["message_zh"] and "缩小日期范围" in body["message_zh"]
        assert "More than 2 intake lines" in body["message_en"]
    narrowed = _csv(client, market, f"&certificate={first.number}")
    assert len(narrowed) == 1 + 2
