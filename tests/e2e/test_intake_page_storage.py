"""A full localStorage never loses an offline scan: the page keeps only recent receipts for
its over-scan check, gives that cache up for the queue, and when even that is not enough it
keeps the scan in the page, says so on screen, and sends it once the network is back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.server import cli_json, gunicorn_server
from tests.e2e.test_intake_page import (
    ARGS,
    CHROMIUM,
    IntakePage,
    _call,
    _issue_as_admin,
    market_inspector,
)

playwright = pytest.importorskip("playwright.sync_api")

# Months of receipts at a busy market, one entry per item as the page used to keep them,
# until the origin's storage quota refuses more; then the last bytes filled under `filler`.
FILL = """([withReceipts, filler]) => {
  const day = 86400000, now = Date.now(), seen = {};
  let n = 0;
  while (withReceipts) {
    for (let i = 0; i < 5000; i++, n++) seen["SERIAL" + String(n).padStart(20, "0")] = now - (n % 120) * day;
    try { localStorage.setItem("trc.received", JSON.stringify(seen)); } catch (e) { break; }
  }
  let size = 8 * 1024 * 1024, text = "";
  for (; size >= 1; size = Math.floor(size / 2)) {
    try { localStorage.setItem(filler, text + "x".repeat(size)); text += "x".repeat(size); } catch (e) { /* smaller */ }
  }
  try { localStorage.setItem(filler + ".probe", "x"); return false; } catch (e) { return true; }
}"""


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_offline_scans_are_kept_when_the_browser_storage_is_full(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        _, (first, second, third) = _issue_as_admin(base, env, items=3)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            intake = IntakePage.opened(page, base, inspector)
            context.set_offline(True)
            page.wait_for_selector("#net-status[data-online=false]")

            # the old received-items cache fills the quota: it is pruned, the scan is queued
            assert page.evaluate(FILL, [True, "trc.filler"]) is True
            intake.scan(first, "genuine")
            assert intake.status("queue") == "1"
            assert page.get_attribute("#verdict", "data-saved") == "true"
            assert page.is_hidden("#storage-problem")
            kept = page.evaluate("Object.keys(JSON.parse(localStorage.getItem('trc.received')))")
            assert 0 < len(kept) <= 10_000  # a week of receipts at most, this scan among them

            # storage full of what the page cannot give up: kept in the page, and said so
            page.evaluate("localStorage.removeItem('trc.filler')")
            assert page.evaluate(FILL, [False, "another.app"]) is True
            intake.scan(second, "genuine")
            assert page.get_attribute("#verdict", "data-saved") == "false"
            assert page.is_visible("#storage-problem")
            assert "存储已满" in str(page.text_content("#verdict-detail"))
            assert intake.status("queue") == "2" and intake.status("storage") == "full"
            intake.scan(first, "over_scanned")
            assert intake.status("queue") == "3"

            context.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            page.wait_for_selector("#net-status[data-queue='0']", timeout=30_000)
            assert page.is_hidden("#storage-problem")
            intake.scan(third, "genuine")
            browser.close()
        ledger = _call(base, "/api/v1/intake/ledger", inspector)["records"]
    assert sorted(r["verdict"] for r in ledger) == ["genuine", "genuine", "genuine", "over_scanned"]
    assert problems == []
