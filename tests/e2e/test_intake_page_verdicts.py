"""The intake page says why a verdict is not OK: a pre-printed code not activated (online and
offline), a forged code with the server's advice instead of a bare "0", a revoked paper
certificate, a paper certificate for another product, and an account that has no market."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import cli_json, gunicorn_server, traceability_cli
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
from traceability.issuing.service import today_in_china
from traceability.models.types import utcnow

playwright = pytest.importorskip("playwright.sync_api")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]


def _roll(env: dict[str, str], tmp_path: Path) -> list[str]:
    """`traceability rolls create`: pre-printed codes no certificate has activated."""
    output = tmp_path / "roll.csv"
    traceability_cli(
        env, "rolls", "create", "--count", "3", "--producer-id", "1", "--output", str(output)
    )
    with output.open(encoding="utf-8") as handle:
        return [row["url"] for row in csv.DictReader(handle)]


def _detail(page: Any) -> str:
    return str(page.text_content("#verdict-detail"))


def test_codes_that_are_not_genuine_say_why_online_offline_and_in_the_ledger(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        admin = county_admin(env)
        urls = [item["url"] for item in issue(base, admin, 2)["items"]]
        roll = _roll(env, tmp_path)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            intake = IntakePage.opened(page, base, inspector)

            intake.scan(_tampered(urls[0]), "not_genuine")
            assert page.text_content("#verdict-en") == "Not genuine"  # the English line
            assert "暂扣并上报" in _detail(page) and "伪造或被篡改" in _detail(page)
            assert _detail(page) != "0" and " 0 " not in f" {_detail(page)} "
            intake.scan(roll[0], "not_activated")
            assert "未激活" in _detail(page) and "暂扣并上报" in _detail(page)
            page.wait_for_function("document.querySelectorAll('#ledger-rows tr').length === 2")
            verdicts = page.eval_on_selector_all(
                "#ledger-rows td[data-verdict]", "cells => cells.map(c => c.textContent)"
            )
            assert sorted(verdicts) == ["无法验证（伪造或被篡改）", "无法验证（未激活）"]

            context.set_offline(True)
            page.wait_for_selector("#net-status[data-online=false]")
            intake.scan(roll[1], "not_activated")  # from `pending_groups` of the cached list
            assert page.text_content("#verdict-en") == "Not activated · 离线查验"
            # offline, a forged code is said in words, as online (not "bad_signature")
            intake.scan(_tampered(urls[1]), "not_genuine")
            assert "签名无效" in _detail(page) and "bad_signature" not in _detail(page)
            intake.scan(urls[1], "genuine")
            context.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            page.wait_for_selector("#net-status[data-queue='0']")
            browser.close()
        ledger = _call(base, "/api/v1/intake/ledger", inspector)["records"]
    synced = {r["reason"]: r for r in ledger if r["offline_verdict"]}
    assert synced["not_activated"]["verdict"] == "not_genuine"
    assert synced["not_activated"]["offline_verdict"] == "not_genuine"
    assert synced[None]["verdict"] == synced[None]["offline_verdict"] == "genuine"


def test_a_revoked_paper_certificate_reads_revoked_and_another_product_is_flagged(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        admin = county_admin(env)
        recalled = issue(base, admin, 1)["certificate"]
        today = today_in_china(utcnow()).isoformat()  # the certificates' Beijing day
        traceability_cli(
            env, "recall", "producer", "1", "--from", today, "--to", today,
            "--reason", "农药残留超标",
        )  # fmt: skip
        valid = issue(base, admin, 1)["certificate"]
        photo = tmp_path / "certificate.png"
        photo.write_bytes(PNG)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context().new_page()
            IntakePage.opened(page, base, inspector)
            page.click(".paper summary")

            def register(number: str, product: str) -> None:
                page.set_input_files("#paper-form input[name=photo]", str(photo))
                page.fill("#paper-form input[name=product]", product)
                page.fill("#paper-form input[name=quantity]", "20")
                page.fill("#paper-form input[name=origin]", "青禾县")
                page.fill("#paper-form input[name=issuer]", "青禾合作社")
                page.fill("#paper-form input[name=phone]", "13800001234")
                page.fill("#paper-form input[name=certificate_date]", today)
                page.fill("#paper-form input[name=certificate_number]", number)
                page.evaluate("document.querySelector('#verdict').dataset.verdict = ''")
                page.click("#paper-form button[type=submit]")
                page.wait_for_function("document.querySelector('#verdict').dataset.verdict")

            register(recalled["number"], recalled["product_name"])
            assert page.get_attribute("#verdict", "data-verdict") == "revoked"
            assert "problem" in str(page.get_attribute("#verdict", "class"))
            assert "农药残留超标" in _detail(page) and "请勿上架销售" in _detail(page)

            register(valid["number"], "榴莲")
            assert page.get_attribute("#verdict", "data-verdict") == "paper"
            assert page.get_attribute("#verdict", "data-warnings") == "product_mismatch"
            assert "warned" in str(page.get_attribute("#verdict", "class"))
            assert "不符" in _detail(page)

            register(valid["number"], valid["product_name"])
            assert page.get_attribute("#verdict", "data-warnings") == ""
            assert "ok" in str(page.get_attribute("#verdict", "class")).split()
            browser.close()


def test_an_account_with_no_market_is_told_so_and_a_scan_is_not_called_malformed(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        market_inspector(env)
        producer = cli_json(
            env, "token", "create", "--name", "p", "--role", "producer", "--producer-id", "1"
        )["token"]
        admin = county_admin(env)
        url = issue(base, admin, 1)["items"][0]["url"]
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context().new_page()
            page.goto(base + "/intake")
            page.wait_for_selector("#intake[data-ready=true]")
            page.fill("#token", producer)
            page.click("#token-form button[type=submit]")
            page.wait_for_selector("#account-problem", state="visible")
            assert "查验员" in str(page.text_content("#account-problem"))
            assert page.is_visible("#token"), "a market inspector's token may be entered"
            page.click("#scan-input")
            intake = IntakePage(page)
            intake.scan(url, "refused")
            assert "查验员" in _detail(page) and "market_id" not in _detail(page)
            assert str(page.text_content("#verdict-title")) != "无法识别"
            browser.close()
        ledger = _call(base, "/api/v1/intake/ledger?market_id=1", admin)["records"]
    assert ledger == []
