"""A recall alert on the intake page marks an item that another market had received first
(the goods moved on, or the code was copied), and only that item."""

from __future__ import annotations

import uuid
from pathlib import Path

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

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]


def test_the_recall_alert_marks_a_possibly_copied_code(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        there = cli_json(env, "market", "add", "--name", "城南农贸市场", "--kind", "farmers_market")
        elsewhere = cli_json(
            env, "token", "create", "--name", "e2e2", "--role", "market_inspector",
            "--market-id", str(there["id"]),
        )["token"]  # fmt: skip
        admin = county_admin(env)
        copied_cert = issue(base, admin, 1)
        copied = copied_cert["items"][0]["url"]
        own_cert = issue(base, admin, 1)
        own = own_cert["items"][0]["url"]
        # the other market received the item first; here its code turns up again
        _call(
            base, "/api/v1/intake", elsewhere,
            {"records": [{"uuid": str(uuid.uuid4()), "code": copied}]},
        )  # fmt: skip
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context().new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            intake = IntakePage.opened(page, base, inspector)
            intake.scan(own, "genuine")
            intake.scan(copied, "other_market")
            assert page.locator("#alerts li").count() == 0

            _call(base, "/api/v1/recalls", admin, {"batch_id": 1, "reason": "农药残留超标"})
            page.reload()
            page.wait_for_selector("#intake[data-ready=true]")
            alert = page.wait_for_selector("#alerts li.recall-alert")
            assert alert is not None
            text = str(alert.text_content())
            marked = alert.get_attribute("data-other-market")
            page.screenshot(path=str(tmp_path / "recall-alert.png"), full_page=True)

            # acknowledged, it goes; the mark was on the alert, not on the page
            page.click("#alerts li.recall-alert button")
            page.wait_for_selector("#alerts li", state="detached")
            browser.close()
    assert marked == "true"
    assert "农药残留超标" in text
    lines = text.split("；")
    [flagged] = [line for line in lines if "可能为复制码" in line]
    assert copied_cert["certificate"]["number"] in flagged
    assert own_cert["certificate"]["number"] not in flagged
    assert any(own_cert["certificate"]["number"] in line for line in lines)
    assert problems == []
