"""The recall report counts an item once, where it was received, and reads in the reader's
language: a later scan at another market is listed apart, marked as possibly a copied code."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook

from tests.traceability.intake.conftest import IssuedFixture, MarketFixture, scan

KIND, VERDICT = 1, 13  # columns of the report


def _recalled(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> tuple[MarketFixture, MarketFixture, dict[str, Any]]:
    """One item received at a supermarket, then scanned at a farmers' market, recalled."""
    first = make_market("甲超市", "supermarket")
    second = make_market("乙农贸市场", "farmers_market")
    cert = issue(0, 2)
    assert scan(client, first, cert.urls[0])[0]["verdict"] == "genuine"
    assert scan(client, second, cert.urls[0])[0]["verdict"] == "other_market"
    body = {"batch_id": cert.batch_id, "reason": "农残超标"}
    made = client.post("/api/v1/recalls", json=body, headers=make_token())
    assert made.status_code == 201, made.get_json()
    return first, second, made.get_json()


def test_an_item_seen_at_a_second_market_counts_once_and_is_listed_as_a_sighting(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    first, second, report = _recalled(client, make_market, make_token, issue)
    lines = {line["market_id"]: line for line in report["lines"]}
    assert (lines[first.id]["items"], lines[first.id]["other_market"]) == (1, False)
    assert (lines[second.id]["items"], lines[second.id]["other_market"]) == (1, True)
    assert (report["items"], report["other_market_items"]) == (1, 1)
    assert sorted(report["markets"]) == sorted([first.id, second.id])  # both are alerted


def test_the_second_markets_alert_marks_the_item_another_market_received_first(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    first, second, _ = _recalled(client, make_market, make_token, issue)
    [seen] = client.get("/api/v1/intake/market", headers=second.headers).get_json()["alerts"]
    assert [line["other_market"] for line in seen["lines"]] == [True]
    [received] = client.get("/api/v1/intake/market", headers=first.headers).get_json()["alerts"]
    assert [line["other_market"] for line in received["lines"]] == [False]


def test_the_chinese_report_names_kinds_and_marks_the_sighting(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    _, _, report = _recalled(client, make_market, make_token, issue)
    data = client.get(f"/api/v1/recalls/{report['id']}?format=csv", headers=make_token()).data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][VERDICT] == "查验结果 Verdict"
    assert {(row[0], row[KIND], row[VERDICT]) for row in rows[1:]} == {
        ("甲超市", "超市", "收货"),
        ("乙农贸市场", "农贸市场", "已被其他市场收货（可能为复制码）"),
    }


def test_the_english_report_says_kinds_verdicts_and_its_sheet_in_english(
    client: FlaskClient,
    make_market: Callable[..., MarketFixture],
    make_token: Callable[..., dict[str, str]],
    issue: Callable[..., IssuedFixture],
) -> None:
    _, _, report = _recalled(client, make_market, make_token, issue)
    path = f"/api/v1/recalls/{report['id']}?lang=en&format="
    data = client.get(path + "csv", headers=make_token()).data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert {(row[KIND], row[VERDICT]) for row in rows[1:]} == {
        ("Supermarket", "Received"),
        ("Farmers' market", "Already received by another market (possibly a copied code)"),
    }
    book = load_workbook(io.BytesIO(client.get(path + "xlsx", headers=make_token()).data))
    assert book.sheetnames == [f"Recall {report['id']}"]
    kinds = {row[KIND] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert kinds == {"Supermarket", "Farmers' market"}
