"""A supermarket receiving a pile of labels at once: every scan is kept, and the ledger on
the page ends with every line, however its searches' answers arrive."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import cli_json, gunicorn_server
from tests.e2e.test_intake_page import (
    ARGS,
    CHROMIUM,
    IntakePage,
    _call,
    county_admin,
    issue,
    market_inspector,
)
from traceability.intake.ledger import COLUMNS

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]
LEDGER = "**/api/v1/intake/ledger*"
NAMES = [name for name, _ in COLUMNS]


def _rows(page: Any) -> int:
    return int(page.evaluate("document.querySelectorAll('#ledger-rows tr').length"))


def test_fifty_labels_scanned_at_once_are_all_in_the_ledger(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        admin = county_admin(env)
        urls = [item["url"] for item in issue(base, admin, 50)["items"]]
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context().new_page()
            IntakePage.opened(page, base, inspector)
            for url in urls:  # as fast as a scanner sends them, no waiting between labels
                page.keyboard.insert_text(url)
                page.keyboard.press("Enter")
            page.wait_for_function("document.querySelectorAll('#history li').length === 50")
            page.wait_for_function(
                "document.querySelectorAll('#ledger-rows tr').length === 50"
                " && document.querySelector('#ledger-count').textContent === '50'",
                timeout=15_000,
            )
            history = page.eval_on_selector_all(
                "#history li", "l => l.map(li => li.dataset.verdict)"
            )
            with page.expect_download() as download:  # the day's ledger for the files
                page.click("#export-csv")
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
            browser.close()
        ledger = _call(base, "/api/v1/intake/ledger", inspector)["records"]
    assert history == ["genuine"] * 50
    # named for the market and the day, as the server names it, not "intake (7).csv"
    assert re.fullmatch(r"intake-\d+-\d{8}\.csv", saved.name), saved.name
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 51 and {r[NAMES.index("verdict")] for r in rows[1:]} == {"真品"}
    assert len(ledger) == 50 and {r["verdict"] for r in ledger} == {"genuine"}


def test_an_older_ledger_answer_arriving_last_does_not_hide_newer_lines(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Two scans in quick succession each ask for the ledger; when the answer to the first
    comes after the second's, the page must still end with both lines."""
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        admin = county_admin(env)
        first, second = (item["url"] for item in issue(base, admin, 2)["items"])
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context().new_page()
            intake = IntakePage.opened(page, base, inspector)
            held: list[tuple[Any, Any]] = []
            holding = True

            def hold(route: Any) -> None:
                if not holding:
                    route.continue_()
                    return
                # the server answers now; the page gets the answer when the test says
                held.append((route, route.fetch()))

            page.route(LEDGER, hold)
            intake.scan(first, "genuine")
            intake.scan(second, "genuine")
            page.wait_for_timeout(500)  # any second search the page starts is caught by now
            holding = False
            assert held, "the page searches the ledger after a scan"
            for route, answer in reversed(held):  # the newest answer first, the oldest last
                route.fulfill(response=answer)
            page.wait_for_function(
                "document.querySelectorAll('#ledger-rows tr').length === 2", timeout=5_000
            )
            page.wait_for_timeout(500)  # a late, stale answer would land by now
            rows = _rows(page)
            browser.close()
    assert rows == 2


def test_a_ledger_longer_than_the_page_shows_says_so_and_exports_every_line(
    empty_database_url: str, tmp_path: Path
) -> None:
    """501 lines: the page lists the newest 500, counts them as 500+ and says older lines
    are left out (search by date or export); its CSV holds all 501."""
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        admin = county_admin(env)
        urls = [item["url"] for item in issue(base, admin, 501)["items"]]
        for start in (0, 500):
            records = [
                {"uuid": str(uuid.uuid4()), "code": url} for url in urls[start : start + 500]
            ]
            _call(base, "/api/v1/intake", inspector, {"records": records})
        notes = {}
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for query in ("", "?lang=en"):
                page = browser.new_context().new_page()
                IntakePage.opened(page, base, inspector, query)
                page.wait_for_selector("#ledger-limited:visible", timeout=15_000)
                notes[query] = (
                    page.text_content("#ledger-count"),
                    page.text_content("#ledger-limited"),
                    _rows(page),
                )
                with page.expect_download() as download:
                    page.click("#export-csv")
                saved = tmp_path / f"export{len(notes)}.csv"
                download.value.save_as(saved)
                rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
                assert len(rows) == 1 + 501
                # searched by a day with no lines, the note goes
                page.fill("#ledger-form input[name=to]", "2020-01-01")
                page.click("#ledger-form button[type=submit]")
                page.wait_for_selector("#ledger-limited", state="hidden", timeout=5_000)
                assert page.text_content("#ledger-count") == "0"
            browser.close()
    assert notes[""] == ("500+", "只显示最近 500 条，请按日期查找或导出", 500)
    assert notes["?lang=en"] == (
        "500+",
        "Showing the latest 500 lines only: search by date or export for the rest",
        500,
    )
