"""The supervision overview in a real Chromium: signed in as the demo accounts, read, exported."""

from __future__ import annotations

import io
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.server import ROOT, cli_json, gunicorn_server

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run"]
DEMO_PASSWORD = "qinghe-demo-2026"  # README, "Demo accounts"
ARTIFACTS = ROOT / "test-artifacts"


@contextmanager
def demo_site(database_url: str, home: Path) -> Iterator[tuple[str, Any, list[str], Any]]:
    """The service with the demo county, a Chromium, the page errors seen (to be none), and
    what `traceability demo` reported."""
    with gunicorn_server(database_url, home) as server:
        demo = cli_json(server.env, "demo")
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                yield server.base_url, browser, [], demo
            finally:
                browser.close()


def signed_in(browser: Any, base: str, username: str, problems: list[str]) -> Any:
    """A page of its own signed in as a demo account, its script errors noted in `problems`."""
    page = browser.new_context(accept_downloads=True).new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


# how many lines each cell of the row `serial` takes: the distinct tops of its text's boxes
# (text nodes only: a link's and a <code>'s own boxes sit a little apart on one line)
LINES_PER_CELL = """serial => [...document.querySelector(`tr[data-serial='${serial}']`).cells]
    .map(cell => {
        const tops = new Set(), walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            if (!walker.currentNode.textContent.trim()) continue;
            const range = document.createRange(); range.selectNodeContents(walker.currentNode);
            for (const box of range.getClientRects()) tops.add(Math.round(box.top));
        }
        return tops.size })"""


# a row's first cell's background without and with `class`, the class put on and taken off
MARKED_BACKGROUND = """(row, name) => {
    const colour = () => getComputedStyle(row.cells[0]).backgroundColor;
    const plain = colour(); row.classList.add(name);
    const marked = colour(); row.classList.remove(name);
    return [plain, marked] }"""


def township_rows(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "table.overview tbody tr", "rows => rows.map(r => r.dataset.township)"
        )
    )


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_supervisors_read_their_townships_and_export_the_table(
    empty_database_url: str, tmp_path: Path
) -> None:
    with demo_site(empty_database_url, tmp_path / "instance") as (base, browser, problems, _):
        county = signed_in(browser, base, "admin", problems)
        county.goto(base + "/admin/")
        county.click("text=监管概览：各乡镇开证、快检与检打联动")
        county.wait_for_selector("table.overview")
        assert township_rows(county) == [
            "379901001",
            "379901101",
            "379901201",
            "county",
            "total",
        ]

        def cells(key: str) -> list[str]:
            return list(
                county.eval_on_selector_all(
                    f"tr[data-township='{key}'] td", "cells => cells.map(c => c.innerText)"
                )
            )

        # the demo county: 5 producers, 3 certificates issued today, the last one revoked
        total = cells("total")
        assert (total[0], total[3], total[5]) == ("5", "3", "1")
        # a township with a failed test or an overdue case stands out (the page marks the row)
        plain, marked = county.eval_on_selector(
            "tr[data-township='379901101']", MARKED_BACKGROUND, "attention"
        )
        assert plain != marked, "rows needing attention are highlighted"
        with county.expect_download() as download:
            county.click("text=Excel (XLSX)")
        data = Path(download.value.path()).read_bytes()
        workbook = load_workbook(io.BytesIO(data), read_only=True)
        sheet = workbook.active
        assert sheet is not None
        # the trend below the table: this period's certificates, as in the file's sheet
        this_period = list(
            county.eval_on_selector_all(
                "table.trend tr[data-bucket='current'] td",
                "cells => cells.map(c => c.innerText)",
            )
        )
        assert this_period[0] == "3"
        trend = [list(row) for row in workbook.worksheets[1].iter_rows(values_only=True)]
        assert trend[-4][0] == "本期合计" and trend[-4][4] == 3
        lines = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert [line[0] for line in lines[1:]] == [
            "城关街道",
            "清河镇",
            "石门乡",
            "县级及未关联乡镇",
            "合计",
        ]
        as_page = [str(v) for v in lines[1][1:]]  # the file's figures as the page prints them
        as_page[2] = f"{float(lines[1][3]):.1f}%"  # the issuing rate, a percentage in the file
        assert cells("379901001") == as_page

        township = signed_in(browser, base, "chengguan", problems)
        township.goto(base + "/supervision/")
        assert township_rows(township) == ["379901001", "total"]
        assert "石门乡" not in township.content()

        township.fill("input[name=from]", "2026-12-31")
        township.fill("input[name=to]", "2026-12-01")
        township.click("form.filters button[type=submit]")
        assert "晚于截止日期" in township.content()
    assert problems == []


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_supervisors_open_the_weeks_sampling_plan_and_export_it(
    empty_database_url: str, tmp_path: Path
) -> None:
    with demo_site(empty_database_url, tmp_path / "instance") as (base, browser, problems, _):
        county = signed_in(browser, base, "admin", problems)
        county.goto(base + "/supervision/")
        county.click("text=本周抽检计划（按风险排序）")
        county.wait_for_selector("section.sampling")
        sections = county.eval_on_selector_all(
            "section.sampling", "sections => sections.map(s => s.dataset.township)"
        )
        assert sections == ["379901001", "379901101", "379901201", "county"]
        planned = county.eval_on_selector_all(
            "table.sampling tbody tr", "rows => rows.map(r => r.dataset.producer)"
        )
        assert planned  # the demo county's producers are planned somewhere
        with county.expect_download() as download:
            county.click("p.exports >> text=Excel (XLSX)")
        sheet = load_workbook(
            io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True
        ).active
        assert sheet is not None
        assert sum(1 for _ in sheet.iter_rows(min_row=2)) >= len(planned)

        # the form's own min=1 stops a 0 in the browser; a hand-made URL gets the server's word
        refused = county.goto(base + "/supervision/sampling?per_township=0")
        assert refused is not None and refused.status == 422
        assert "1 至 50 之间的整数" in county.content()

        township = signed_in(browser, base, "chengguan", problems)
        township.goto(base + "/supervision/sampling?lang=en")
        township.wait_for_selector("section.sampling")
        assert township.eval_on_selector_all(
            "section.sampling", "sections => sections.map(s => s.dataset.township)"
        ) == ["379901001"]
        assert "Sampling plan" in township.content() and "石门乡" not in township.content()
    assert problems == []


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_a_copied_code_shows_on_the_supervisors_list(
    empty_database_url: str, tmp_path: Path
) -> None:
    with demo_site(empty_database_url, tmp_path / "instance") as (base, browser, problems, demo):
        url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
        path = "/C/" + url.split("/C/", 1)[1]
        serial = path[3:].split(".")[0]
        for _ in range(21):  # more than one package is scanned: a copied label
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200
        county = signed_in(browser, base, "admin", problems)
        county.goto(base + "/supervision/")
        county.click("text=疑似被复制的追溯码")
        county.wait_for_selector("h1:has-text('疑似被复制的追溯码')")
        # the scans reach the database at the workers' next flush (SCAN_FLUSH_SECONDS=1)
        for _ in range(20):
            if county.locator(f"tr[data-serial='{serial}']").count():
                break
            time.sleep(0.5)
            county.reload()
        row = county.locator(f"tr[data-serial='{serial}'] td").all_inner_texts()
        county.screenshot(path=str(ARTIFACTS / "supervision-cloned-codes.png"), full_page=True)
        # on a 1280 px desktop the whole row is read on one line, no column scrolled away
        assert county.viewport_size["width"] == 1280
        assert county.evaluate(LINES_PER_CELL, serial) == [1] * 9
        assert county.evaluate(
            "() => { const s = document.querySelector('.table-scroll');"
            " return s.scrollWidth <= s.clientWidth }"
        )
        # when and where: the code's own scans, one click away
        county.click(f"tr[data-serial='{serial}'] a:has-text('{serial}')")
        county.wait_for_selector("h1:has-text('追溯码查询记录')")
        places = county.locator("table.scan-places tbody tr td").all_inner_texts()
        days = county.locator("table.scan-days tbody tr").count()
        warned = county.locator("dd.scan-count strong").inner_text()
        county.screenshot(path=str(ARTIFACTS / "supervision-code-scans.png"), full_page=True)
        # a label's whole URL, as a handheld scanner types it, finds the same code
        county.fill("input[name=code]", url)
        county.click("button:has-text('查询')")
        county.wait_for_selector(f"section.code-scans[data-serial='{serial}']")
        township = signed_in(browser, base, "chengguan", problems)
        township.goto(base + "/supervision/cloned-codes?lang=en")
        english = township.content()
    assert row[0] == "21" and row[1] == "1"
    assert places[0] == "21" and days == 1 and "可能已被复制" in warned
    assert "Codes that may have been copied" in english
    assert problems == []
