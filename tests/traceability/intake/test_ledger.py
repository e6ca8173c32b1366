"""The ledger: searchable, exportable to CSV and XLSX, and kept only as long as required."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlmodel import select

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, scan
from traceability.db import get_engine, session_scope
from traceability.intake.ledger import COLUMNS, purge_expired
from traceability.models import IntakeRecord


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
