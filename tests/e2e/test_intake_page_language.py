"""The intake page in English says everything in English (the script's words come from the
template's catalogue), and on a 390 px phone neither language scrolls sideways or breaks the
ledger's words one character a line."""

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
    _tampered,
    county_admin,
    issue,
    market_inspector,
)
from traceability.intake.ledger import COLUMNS

playwright = pytest.importorskip("playwright.sync_api")
HAN = re.compile(r"[\u3400-\u9fff]")
PHONE = {"width": 390, "height": 844}
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]

# every line box of every ledger cell: a cell whose words break one character a line has
# about as many lines as characters
CELL_LINES = """() => [...document.querySelectorAll('#ledger-rows td')].map((td) => {
  const range = document.createRange(); range.selectNodeContents(td);
  const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
  return [td.textContent, tops.size];
})"""


def _received_then_recalled(base: str, env: dict[str, str], inspector: str) -> tuple[str, str]:
    """A market that received goods later recalled (so the page shows an alert), and an
    admin token."""
    admin = county_admin(env)
    url = issue(base, admin, 1)["items"][0]["url"]
    _call(
        base, "/api/v1/intake", inspector, {"records": [{"uuid": str(uuid.uuid4()), "code": url}]}
    )
    _call(base, "/api/v1/recalls", admin, {"batch_id": 1, "reason": "pesticide residue"})
    return admin, url


def _scan_a_shift(page: Any, intake: IntakePage, context: Any, urls: list[str], rows: int) -> None:
    """Scans online and offline; then the ledger holds `rows` lines."""
    intake.scan(urls[0], "genuine")
    context.set_offline(True)
    page.wait_for_selector("#net-status[data-online=false]")
    intake.scan(urls[1], "genuine")
    intake.scan(_tampered(urls[2]), "not_genuine")
    intake.scan(urls[1], "over_scanned")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#net-status[data-queue='0']")
    page.wait_for_function(f"document.querySelectorAll('#ledger-rows tr').length === {rows}")


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide"


def test_the_english_page_says_it_all_in_english_and_fits_a_phone(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        admin, recalled = _received_then_recalled(base, env, inspector)
        urls = [item["url"] for item in issue(base, admin, 3)["items"]]
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport=PHONE)
            page = context.new_page()
            page.goto(base + "/intake?lang=en")
            idle = [page.text_content("#verdict-title"), page.text_content("#verdict-en")]
            assert idle[0] and not HAN.search(idle[0]) and idle[1] == "", idle
            intake = IntakePage.opened(page, base, inspector, "?lang=en")
            page.wait_for_selector("#alerts li")
            intake.scan(recalled, "revoked")
            _scan_a_shift(page, intake, context, urls, 6)
            texts = {
                "status": page.text_content("#net-status"),
                "verdict": page.text_content("#verdict-title"),
                "offline": page.text_content("#verdict-en"),
                "history": page.text_content("#history"),
                "results": " ".join(
                    page.eval_on_selector_all(
                        "#ledger-rows td[data-verdict]", "cells => cells.map(c => c.textContent)"
                    )
                ),
            }
            over_scanned = str(page.text_content("#verdict-detail"))
            alert = str(page.text_content("#alerts li"))
            with page.expect_download() as download:
                page.click("#export-csv")
            exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
            _no_sideways_scroll(page)
            page.screenshot(path=str(tmp_path / "english.png"), full_page=True)
            browser.close()
    assert {name: text for name, text in texts.items() if HAN.search(str(text))} == {}
    assert "首次收货" not in over_scanned
    assert not [word for word in ("召回", "本市场收到", "件", "已知悉") if word in alert], alert
    assert "pesticide residue" in alert
    # the page's export: headers in both languages, the verdicts and methods in English
    [header, *lines] = list(csv.reader(io.StringIO(exported)))
    assert header == [title for _, title in COLUMNS]
    coded = [i for i, (name, _) in enumerate(COLUMNS) if name in ("verdict", "reason", "method")]
    assert lines and not [line for line in lines if HAN.search("".join(line[i] for i in coded))]


def test_the_chinese_ledger_keeps_its_words_whole_and_its_times_in_beijing_on_a_utc_phone(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        admin = county_admin(env)
        urls = [item["url"] for item in issue(base, admin, 4)["items"]]
        # 17:30:05 UTC on 1 March is 01:30:05 on 2 March in Beijing: the day differs too
        earlier = {"uuid": str(uuid.uuid4()), "code": urls[3], "supplier": "早班供货者"}
        earlier["received_at"] = "2026-03-01T17:30:05Z"
        _call(base, "/api/v1/intake", inspector, {"records": [earlier]})
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport=PHONE, timezone_id="UTC")
            page = context.new_page()
            intake = IntakePage.opened(page, base, inspector)
            page.fill("#supplier", "城南蔬菜批发部")
            page.click("#scan-input")
            intake.ready()
            _scan_a_shift(page, intake, context, urls, 5)
            cells = page.evaluate(CELL_LINES)
            shown = page.text_content(f"#ledger-rows tr[data-uuid='{earlier['uuid']}'] td")
            device_zone = page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
            _no_sideways_scroll(page)
            browser.close()
    broken = [(text, lines) for text, lines in cells if len(text) >= 4 and lines > len(text) / 4]
    assert broken == []
    assert device_zone == "UTC"
    assert shown and "2026/3/2" in shown and "01:30:05" in shown, shown


def test_an_export_the_server_refuses_says_why_and_a_narrower_one_downloads(
    empty_database_url: str, tmp_path: Path
) -> None:
    """More lines than one export may hold: the page says to narrow the dates (before, the
    button did nothing); narrowed to one certificate, the file comes."""
    home = tmp_path / "instance"
    with gunicorn_server(
        empty_database_url, home, extra_env={"INTAKE_EXPORT_MAX_LINES": "1"}
    ) as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        admin = county_admin(env)
        first, second = issue(base, admin, 1), issue(base, admin, 1)
        for certificate in (first, second):
            record = {"uuid": str(uuid.uuid4()), "code": certificate["items"][0]["url"]}
            _call(base, "/api/v1/intake", inspector, {"records": [record]})
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            IntakePage.opened(page, base, inspector)
            page.wait_for_function("document.querySelectorAll('#ledger-rows tr').length === 2")
            page.click("#export-xlsx")
            page.wait_for_selector("#ledger-export-note:not([hidden])")
            refused = page.text_content("#ledger-export-note")
            page.fill("#ledger-form input[name=certificate]", first["certificate"]["number"])
            with page.expect_download() as download:
                page.click("#export-csv")
            exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
            note_hidden = page.is_hidden("#ledger-export-note")
            browser.close()
    assert refused and "超过 1 条" in refused and "缩小日期范围" in refused, refused
    assert note_hidden
    [_, line] = list(csv.reader(io.StringIO(exported)))
    assert first["certificate"]["number"] in line
