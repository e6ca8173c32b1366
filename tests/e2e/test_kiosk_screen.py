"""The kiosk touch screen in headless Chromium: start screen to a printed label, counting taps.

A real gunicorn service, the real kiosk agent with a fake TCP printer and a fake scale
(a TCP stream of readings, as an RS-232 scale sends them), at 1024×600 and 1920×1080.
Taps are screen touches that move the flow on; PIN digits are not counted.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from playwright.sync_api import FloatRect, Page, sync_playwright

from printers.testing import FakePrinter
from tests.e2e.server import ROOT, free_port, gunicorn_server, traceability_cli
from tests.e2e.test_kiosk_agent import api, label_jobs
from tests.printers.decoders import tspl

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
DEMO_PIN = "123456"


class FakeScale:
    """Streams stable readings like an RS-232 scale (pyserial reads it via socket://)."""

    def __init__(self, reading: str = "ST,GS,+  12.500kg\r\n") -> None:
        self.reading = reading.encode()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.server.settimeout(0.5)
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            while not self.stop.is_set():
                try:
                    conn.sendall(self.reading)
                except OSError:
                    break
                self.stop.wait(0.1)
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.server.close()


@pytest.fixture
def kiosk_site(empty_database_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        demo = json.loads(traceability_cli(server.env, "demo", "--json").stdout)
        token = json.loads(
            traceability_cli(
                server.env, "token", "create", "--name", "a", "--role", "county_admin", "--json"
            ).stdout
        )["token"]
        terminal = api(
            server,
            "POST",
            "/api/v1/terminals",
            token,
            {"name": "清河镇合格证智能机", "driver": "tspl"},
        )
        credential_file = tmp_path / "credential"
        scale = FakeScale()
        local_port = free_port()
        with FakePrinter("tspl") as printer:
            enrol = [sys.executable, "-m", "printers.agent.cli", "--server", server.base_url,
                     "--credential", str(credential_file), "--printer", printer.url, "--enrol",
                     terminal["enrolment_code"], "--enrol-only"]  # fmt: skip
            subprocess.run(enrol, cwd=ROOT, check=True, capture_output=True, timeout=60)
            agent = subprocess.Popen(
                [sys.executable, "-m", "printers.agent.cli", "--server", server.base_url,
                 "--credential", str(credential_file), "--printer", printer.url, "--driver", "tspl",
                 "--journal", str(tmp_path / "journal.db"), "--poll", "0.3", "--heartbeat", "1",
                 "--scale", f"socket://127.0.0.1:{scale.port}", "--local-port", str(local_port)],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                yield {
                    "server": server,
                    "demo": demo,
                    "printer": printer,
                    "credential": credential_file.read_text().strip(),
                    "agent_url": f"http://127.0.0.1:{local_port}",
                    "token": token,
                    "agent": agent,
                }
            finally:
                agent.terminate()
                agent.wait(timeout=10)
                scale.close()


class TapCounter:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.taps = 0

    def tap(self, selector: str) -> None:
        self.page.locator(selector).first.click()
        self.taps += 1


def open_kiosk(page: Page, site: dict[str, Any], extra: str = "") -> None:
    page.goto(site["server"].base_url + "/kiosk/setup")
    page.fill('input[name="credential"]', site["credential"])
    page.click('button[type="submit"]')
    page.wait_for_url("**/kiosk")
    page.goto(site["server"].base_url + f"/kiosk?agent={site['agent_url']}{extra}")


def sign_in(page: Page, counter: TapCounter, identifier: str, pin: str) -> None:
    page.fill("#identifier", identifier)
    page.keyboard.press("Enter")  # a card scanner types the card URL and Enter
    page.keyboard.type(pin)
    counter.tap("#signin-go")


def to_confirm(page: Page, counter: TapCounter, site: dict[str, Any]) -> None:
    """The first demo producer signed in, 黄瓜 chosen, the scale's weight taken: the
    confirmation screen."""
    sign_in(page, counter, site["demo"]["kiosk_cards"][0]["card"], DEMO_PIN)
    page.wait_for_selector("#screen-products.active")
    counter.tap('.product:has-text("黄瓜")')
    page.wait_for_function("document.getElementById('quantity').value === '12.500'")
    counter.tap("#weight-next")
    page.wait_for_selector("#screen-confirm.active")


def cucumber_product_id(server: Any) -> int:
    """The demo enterprise's 黄瓜, read from the server's database."""
    from sqlalchemy import text

    from traceability.db import make_engine

    engine = make_engine(server.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text("select id from product where producer_id = 1 and name = '黄瓜'")
                ).scalar_one()
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def test_from_start_screen_to_printed_label_in_at_most_five_taps(
    kiosk_site: dict[str, Any], size: tuple[int, int]
) -> None:
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_kiosk(page, kiosk_site)
        page.screenshot(path=str(ARTIFACTS / f"kiosk-start-{size[0]}x{size[1]}.png"))
        counter = TapCounter(page)
        to_confirm(page, counter, kiosk_site)
        page.wait_for_function(
            "document.getElementById('preview').complete && document.getElementById('preview').naturalWidth > 0"
        )
        page.screenshot(path=str(ARTIFACTS / f"kiosk-confirm-{size[0]}x{size[1]}.png"))
        promised = page.inner_text("#screen-confirm h1")  # what is promised, in large type
        counter.tap("#confirm-go")
        page.wait_for_selector("#screen-done.active", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / f"kiosk-done-{size[0]}x{size[1]}.png"))
        number = page.text_content("#done-number")
        browser.close()
    assert promised == "确认承诺 · 黄瓜 12.500 kg"
    assert counter.taps <= 5
    assert errors == []
    jobs = label_jobs(kiosk_site["printer"].received)
    assert len(jobs) == 2  # the full certificate and one item label
    decoded = [
        r.text
        for r in zxingcpp.read_barcodes(
            tspl.decode(jobs[1]).image,
            formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        )
    ]
    assert len(decoded) == 1 and "/C/" in decoded[0]
    assert number and "HGZ" in number


def test_a_wrong_pin_says_so_and_prints_nothing(kiosk_site: dict[str, Any]) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        open_kiosk(page, kiosk_site)
        sign_in(page, TapCounter(page), kiosk_site["demo"]["kiosk_cards"][0]["card"], "000000")
        page.wait_for_selector("#banner:not([hidden])")
        message = page.text_content("#banner")
        browser.close()
    assert message and "密码" in message
    assert kiosk_site["printer"].jobs == 0


def change_server_database(site: dict[str, Any], statement: str, **params: Any) -> None:
    """One statement on the running server's database, as staff would change it."""
    from sqlalchemy import text

    from traceability.db import make_engine

    engine = make_engine(site["server"].env["DATABASE_URL"])
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


def test_a_producer_without_a_card_signs_in_by_touch_alone(kiosk_site: dict[str, Any]) -> None:
    """A kiosk has no on-screen keyboard: the keypad types into the field last touched."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600}, has_touch=True)
        open_kiosk(page, kiosk_site)
        keys = page.locator("#screen-start .key")
        for key in "1":  # the first demo producer's registry number
            keys.filter(has_text=key).first.tap()
        assert page.input_value("#identifier") == "1"
        assert page.input_value("#pin") == ""
        assert "keypad-target" in (page.get_attribute("#identifier", "class") or "")
        page.tap("#pin")
        assert "keypad-target" in (page.get_attribute("#pin", "class") or "")
        assert "keypad-target" not in (page.get_attribute("#identifier", "class") or "")
        for key in DEMO_PIN:
            keys.filter(has_text=key).first.tap()
        assert page.input_value("#pin") == DEMO_PIN
        assert page.input_value("#identifier") == "1"
        page.tap("#signin-go")
        page.wait_for_selector("#screen-products.active")
        assert page.locator('.product:has-text("黄瓜")').count() == 1
        browser.close()


def test_after_an_id_numbers_17_digits_the_keypad_offers_x(kiosk_site: dict[str, Any]) -> None:
    """ID-card numbers may end in X; the clear key turns into X exactly where it can go."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600}, has_touch=True)
        open_kiosk(page, kiosk_site)
        clear = page.locator('#screen-start .key[data-role="clear"]')
        for digit in "1101011990030":
            page.locator(f'#screen-start .key[data-key="{digit}"]').tap()
        assert clear.inner_text() == "C"
        for digit in "7001":
            page.locator(f'#screen-start .key[data-key="{digit}"]').tap()
        assert page.input_value("#identifier") == "11010119900307001"
        assert clear.inner_text() == "X"
        clear.tap()
        assert page.input_value("#identifier") == "11010119900307001X"
        assert clear.inner_text() == "C"  # 18 characters: nothing more to add
        page.locator('#screen-start .key[data-key="⌫"]').tap()
        page.tap("#pin")
        assert clear.inner_text() == "C"  # the PIN is digits only
        clear.tap()
        assert page.input_value("#pin") == ""
        assert page.input_value("#identifier") == "11010119900307001"
        browser.close()


def test_a_producer_signed_in_on_the_web_issues_on_the_phone_without_card_or_pin(
    kiosk_site: dict[str, Any],
) -> None:
    """开具承诺达标合格证 on a producer's own pages opens its products at once; starting over
    keeps it there, and 退出 takes it back to its pages."""
    base = kiosk_site["server"].base_url
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(base + "/login")
        page.fill("input[name=username]", "lvyuan")  # README, "Demo accounts"
        page.fill("input[name=password]", "qinghe-demo-2026")
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/")
        page.click('.cards a[href="/phone"]')
        page.wait_for_selector("#screen-products.active")
        who = page.inner_text("#who")
        page.locator('.product:has-text("黄瓜")').click()
        for key in "3":
            page.locator(f'#screen-weight .key[data-key="{key}"]').click()
        page.click("#weight-next")
        page.click("#confirm-go")
        page.wait_for_selector("#screen-done.active")
        number = page.inner_text("#done-number")
        page.click('#screen-done [data-action="restart"]')
        page.wait_for_selector("#screen-products.active")  # still signed in: no PIN asked
        page.click('#screen-products [data-action="signout"]')
        page.wait_for_url("**/admin/")
        browser.close()
    assert who == "青禾绿源蔬菜有限公司"
    assert "HGZ" in number
    assert errors == []


def test_a_suspended_producer_is_told_and_prints_nothing(kiosk_site: dict[str, Any]) -> None:
    card = kiosk_site["demo"]["kiosk_cards"][0]
    change_server_database(
        kiosk_site,
        "update producer set status = 'suspended' where id = :id",
        id=card["producer_id"],
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        open_kiosk(page, kiosk_site)
        sign_in(page, TapCounter(page), card["card"], DEMO_PIN)
        page.wait_for_selector("#banner:not([hidden])")
        message = page.text_content("#banner")
        browser.close()
    assert message and "暂停" in message
    assert kiosk_site["printer"].jobs == 0


def test_a_producer_without_active_products_is_told_to_ask_the_township_staff(
    kiosk_site: dict[str, Any],
) -> None:
    """Products retired at the office leave the grid empty: the screen says why and who can
    help, in the 1024×600 view without scrolling, and offers only 退出."""
    card = kiosk_site["demo"]["kiosk_cards"][0]
    change_server_database(
        kiosk_site,
        "update product set active = false where producer_id = :id",
        id=card["producer_id"],
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        open_kiosk(page, kiosk_site)
        sign_in(page, TapCounter(page), card["card"], DEMO_PIN)
        page.wait_for_selector("#screen-products.active")
        note = page.locator("#products-none")
        note.wait_for(state="visible")
        message = note.text_content()
        box = note.bounding_box()
        tiles = page.locator("#products button").count()
        signout = page.locator("#screen-products [data-action=signout]")
        signout_box = signout.bounding_box()
        page.screenshot(path=str(ARTIFACTS / "kiosk-no-products.png"))
        signout.click()
        page.wait_for_selector("#screen-start.active")
        browser.close()
    assert message and "请找乡镇工作人员登记您的产品" in message and "停用" in message
    assert tiles == 0
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 600
    assert signout_box is not None and signout_box["y"] + signout_box["height"] <= 600
    assert kiosk_site["printer"].jobs == 0


def test_the_screen_returns_to_start_when_idle(kiosk_site: dict[str, Any]) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        open_kiosk(page, kiosk_site, "&idle=2")
        sign_in(page, TapCounter(page), kiosk_site["demo"]["kiosk_cards"][0]["card"], DEMO_PIN)
        page.wait_for_selector("#screen-products.active")
        page.wait_for_selector("#screen-start.active", timeout=10_000)
        who = page.text_content("#who")
        browser.close()
    assert who == ""


def test_phone_issuing_ends_with_the_label_and_bluetooth_printer_bytes(
    kiosk_site: dict[str, Any], tmp_path: Path
) -> None:
    from tests.printers.decoders import cpcl

    server = kiosk_site["server"]
    card = tmp_path / "card.png"
    traceability_cli(server.env, "kiosk", "card", "--producer-id", "1", "--output", str(card))
    from PIL import Image

    card_text = [
        r.text
        for r in zxingcpp.read_barcodes(
            Image.open(card), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    ]
    assert len(card_text) == 1 and "/K/" in card_text[0]
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server.base_url + "/phone")
        counter = TapCounter(page)
        sign_in(page, counter, card_text[0], DEMO_PIN)  # the producer card's QR signs in
        page.wait_for_selector("#screen-products.active")
        counter.tap('.product:has-text("香菇")')
        for key in "2.5":
            page.locator(f'#screen-weight .key[data-key="{key}"]').click()
        counter.tap("#weight-next")
        counter.tap("#confirm-go")
        page.wait_for_selector("#screen-done.active")
        page.wait_for_function(
            "document.getElementById('label-image').complete && document.getElementById('label-image').naturalWidth > 0"
        )
        page.screenshot(path=str(ARTIFACTS / "phone-done-390x844.png"))
        cpcl_href = page.get_attribute("#dl-cpcl", "href")
        png_href = page.get_attribute("#dl-png", "href")
        cpcl_bytes = page.request.get(server.base_url + str(cpcl_href)).body()
        png_bytes = page.request.get(server.base_url + str(png_href)).body()
        browser.close()
    assert errors == []
    assert counter.taps <= 5
    label_url = [
        r.text
        for r in zxingcpp.read_barcodes(
            Image.open(io.BytesIO(png_bytes)),
            formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        )
    ]
    printed_url = [
        r.text
        for r in zxingcpp.read_barcodes(
            cpcl.decode(cpcl_bytes).image,
            formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        )
    ]
    assert label_url == printed_url and "/C/" in label_url[0]
    request = urllib.request.Request(
        server.base_url + "/C/" + label_url[0].split("/C/", 1)[1],
        headers={"Accept": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        answer = json.loads(response.read())
    assert answer["verdict"]["status"] == "genuine"
    assert (
        answer["certificate"]["product_name"] == "香菇"
        and answer["certificate"]["quantity"] == "2.5"
    )
    assert kiosk_site["printer"].jobs == 0  # phone issuing prints nothing on the kiosk


def weigh_cucumbers(page: Page, site: dict[str, Any]) -> TapCounter:
    """The 黄瓜 producer signs in, chooses 黄瓜 and is weighed: the confirm screen is up."""
    open_kiosk(page, site)
    counter = TapCounter(page)
    to_confirm(page, counter, site)
    return counter


def tick_self_tested_basis(page: Page, site: dict[str, Any]) -> TapCounter:
    """`weigh_cucumbers`, then 自行检测合格 ticked on the confirm screen."""
    counter = weigh_cucumbers(page, site)
    counter.tap('#basis label:has-text("自行检测合格")')
    return counter


def test_a_batch_refused_by_a_compliance_rule_says_why_and_prints_nothing(
    kiosk_site: dict[str, Any],
) -> None:
    from datetime import date

    server = kiosk_site["server"]
    product_id = cucumber_product_id(server)
    api(server, "POST", "/api/v1/production-records", kiosk_site["token"], {
        "producer_id": 1, "product_id": product_id, "substance": "甲胺磷", "dose": "50 ml/亩",
        "method": "喷雾", "used_on": date.today().isoformat(), "operator": "张三",
    })  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        counter = weigh_cucumbers(page, kiosk_site)
        counter.tap("#confirm-go")
        page.wait_for_selector("#banner:not([hidden])")
        message = page.text_content("#banner")
        still_confirming = page.is_visible("#screen-confirm.active")
        page.screenshot(path=str(ARTIFACTS / "kiosk-refused-1024x600.png"))
        browser.close()
    assert message and "甲胺磷" in message
    assert still_confirming
    assert kiosk_site["printer"].jobs == 0


def test_a_self_tested_basis_links_this_mornings_rapid_test_and_prints(
    kiosk_site: dict[str, Any],
) -> None:
    from sqlalchemy import text

    from traceability.db import make_engine

    server = kiosk_site["server"]
    product_id = cucumber_product_id(server)
    test = api(server, "POST", "/api/v1/tests", kiosk_site["token"], {
        "producer_id": 1, "product_id": product_id, "method": "enzyme_inhibition",
        "inhibition_rate": "12.5", "operator": "检测员",
    })["test"]  # fmt: skip
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        counter = tick_self_tested_basis(page, kiosk_site)
        page.wait_for_selector("#tests-list input:checked")
        offered = page.text_content("#tests-list label")
        preselected = page.locator("#tests-list input:checked").input_value()
        page.screenshot(path=str(ARTIFACTS / "kiosk-tested-basis-1024x600.png"))
        counter.tap("#confirm-go")
        page.wait_for_selector("#screen-done.active", timeout=30_000)
        number = page.text_content("#done-number")
        browser.close()
    assert errors == []
    assert counter.taps <= 6  # the usual five and the tick of the tested basis
    assert preselected == str(test["id"])
    assert offered and "酶抑制率法" in offered and "合格" in offered
    assert number and "HGZ" in number
    assert len(label_jobs(kiosk_site["printer"].received)) == 2
    engine = make_engine(server.env["DATABASE_URL"])
    with engine.connect() as connection:
        linked = connection.execute(
            text(
                "select c.number from rapid_test t join certificate c on c.batch_id = t.batch_id"
                " where t.id = :id"
            ),
            {"id": test["id"]},
        ).scalar_one()
    engine.dispose()
    assert linked in number


def test_a_test_just_used_at_another_kiosk_is_refused_and_the_list_offers_what_is_left(
    kiosk_site: dict[str, Any],
) -> None:
    from sqlalchemy import text

    from traceability.db import make_engine

    server = kiosk_site["server"]
    product_id = cucumber_product_id(server)
    older, newer = (
        api(server, "POST", "/api/v1/tests", kiosk_site["token"], {"producer_id": 1,
            "product_id": product_id, "method": "enzyme_inhibition", "inhibition_rate": rate,
            "operator": "检测员"})["test"]
        for rate in ("20.0", "12.5")
    )  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        here, there = (browser.new_page(viewport={"width": 1024, "height": 600}) for _ in "ab")
        for page in (here, there):
            tick_self_tested_basis(page, kiosk_site)
            page.wait_for_selector("#tests-list input:checked")
        offered_before = here.locator("#tests-list input").count()
        # the other kiosk prints first with this morning's test, which both screens tick
        there.click("#confirm-go")
        there.wait_for_selector("#screen-done.active", timeout=30_000)
        here.click("#confirm-go")
        here.wait_for_selector("#banner:not([hidden])")
        refusal = here.text_content("#banner")
        here.wait_for_function("document.querySelectorAll('#tests-list input').length === 1")
        offered_after = here.locator("#tests-list input").input_value()
        ticked_after = here.locator("#tests-list input").is_checked()
        here.click("#confirm-go")
        here.wait_for_selector("#screen-done.active", timeout=30_000)
        numbers = [page.text_content("#done-number") or "" for page in (here, there)]
        browser.close()
    assert offered_before == 2
    assert refusal and f"检测记录 {newer['id']} 属于另一个批次" in refusal
    assert "请重新选择检测记录" in refusal
    assert offered_after == str(older["id"]) and ticked_after
    engine = make_engine(server.env["DATABASE_URL"])
    with engine.connect() as connection:
        linked: dict[int, str] = dict(
            connection.execute(
                text(
                    "select t.id, c.number from rapid_test t"
                    " join certificate c on c.batch_id = t.batch_id where t.id in (:a, :b)"
                ),
                {"a": older["id"], "b": newer["id"]},
            ).all()
        )
    engine.dispose()
    assert linked[newer["id"]] in numbers[1]
    assert linked[older["id"]] in numbers[0]


def test_a_self_tested_basis_without_a_test_says_so_and_sends_nothing(
    kiosk_site: dict[str, Any],
) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        counter = tick_self_tested_basis(page, kiosk_site)
        page.wait_for_selector("#tests-none:not([hidden])")
        inline = page.text_content("#tests-none")
        counter.tap("#confirm-go")
        page.wait_for_selector("#banner:not([hidden])")
        message = page.text_content("#banner")
        browser.close()
    assert inline and "没有可用的检测记录" in inline
    assert message == inline
    assert kiosk_site["printer"].jobs == 0


TOUCH_MIN_PX = 48  # kiosk.css: `.check` and buttons never below 3rem (48 px), even at 1024×600
FIVE_PASSING_TESTS: list[dict[str, Any]] = [
    {"method": "enzyme_inhibition", "inhibition_rate": "12.5"},
    {"method": "colloidal_gold", "target": "毒死蜱", "result": "阴性"},
    {"method": "lab_report", "items": ["毒死蜱", "克百威", "氧乐果"], "lab_name": "县农产品检测站",
     "report_no": "JC-2026-0142", "result": "合格"},
    {"method": "enzyme_inhibition", "inhibition_rate": "31.25"},
    {"method": "colloidal_gold", "target": "克百威", "result": "阴性"},
]  # fmt: skip
"""The longest list the kiosk offers (MAX_LINKABLE_TESTS), each method and a lab report's items."""

SCROLLING = """() => {
    const root = document.scrollingElement;
    return [root, ...document.querySelectorAll("main, #screen-confirm")]
        .filter((el) => el.scrollHeight > el.clientHeight || el.scrollTop > 0)
        .map((el) => el.tagName + "#" + el.id + " " + el.scrollHeight + ">" + el.clientHeight);
}"""
TAPPED_AT_CENTRE = """(el) => {
    const box = el.getBoundingClientRect();
    return el.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2));
}"""


def on_screen(box: FloatRect | None, size: tuple[int, int]) -> bool:
    """Wholly inside the viewport: a finger reaches it as the page stands, without scrolling."""
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size[0]
        and box["y"] + box["height"] <= size[1]
    )


@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def test_five_offered_tests_leave_the_print_button_on_screen_without_scrolling(
    kiosk_site: dict[str, Any], size: tuple[int, int]
) -> None:
    from datetime import datetime, timedelta

    from traceability.beijing_time import CHINA

    server = kiosk_site["server"]
    product_id = cucumber_product_id(server)
    now = datetime.now(CHINA).replace(microsecond=0)
    for n, values in enumerate(FIVE_PASSING_TESTS):  # newest first, over the last four days
        tested_at = (now - timedelta(hours=20 * n)).isoformat()
        api(server, "POST", "/api/v1/tests", kiosk_site["token"], {
            "producer_id": 1, "product_id": product_id, "operator": "检测员",
            "tested_at": tested_at, **values,
        })  # fmt: skip
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        tick_self_tested_basis(page, kiosk_site)
        page.wait_for_function("document.querySelectorAll('#tests-list label').length === 5")
        page.wait_for_function(
            "document.getElementById('preview').complete && document.getElementById('preview').naturalWidth > 0"
        )
        page.screenshot(path=str(ARTIFACTS / f"kiosk-five-tests-{size[0]}x{size[1]}.png"))
        scrolling = page.evaluate(SCROLLING)
        button = page.locator("#confirm-go")
        box = button.bounding_box()
        labels = [page.locator("#tests-list label").nth(i).bounding_box() for i in range(5)]
        assert scrolling == []
        assert on_screen(box, size) and box is not None
        assert button.evaluate(TAPPED_AT_CENTRE)  # nothing covers it
        for label in labels:
            assert on_screen(label, size) and label is not None  # all five at a glance
            assert label["height"] >= TOUCH_MIN_PX and label["width"] >= TOUCH_MIN_PX
        # A tap where the button shows (a locator's click would scroll it into view first).
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("#screen-done.active", timeout=30_000)
        browser.close()
    assert errors == []


# Every frame's box of the confirm screen's two buttons while that screen shows, until its
# label preview is drawn and ten frames more (run before the page's own scripts).
_CONFIRM_BOXES = """
window.__boxes = [];
window.__settled = 0;
const frame = () => {
  if (document.querySelector("#screen-confirm.active")) {
    const boxes = ["#confirm-go", "#screen-confirm [data-action=back]"].map((s) => {
      const r = document.querySelector(s).getBoundingClientRect();
      return [r.x, r.y, r.width, r.height].map(Math.round).join(",");
    });
    window.__boxes.push(boxes.join(" "));
    const preview = document.getElementById("preview");
    if (preview.complete && preview.naturalWidth > 0) window.__settled += 1;
  }
  if (window.__settled < 10) requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
"""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_confirm_screen_comes_with_its_preview_and_its_buttons_stay_put(
    kiosk_site: dict[str, Any],
) -> None:
    """Drawn a moment after the screen, the label preview pushed 我承诺，打印 and 返回 down
    by a quarter of a 1024×600 screen, under the finger of a producer about to tap."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for size in [(1024, 600), (1920, 1080)]:
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.add_init_script(_CONFIRM_BOXES)
            open_kiosk(page, kiosk_site)
            to_confirm(page, TapCounter(page), kiosk_site)
            page.wait_for_function("window.__settled >= 10")
            boxes = page.evaluate("window.__boxes")
            assert len(boxes) >= 10 and set(boxes) == {boxes[0]}, (size, sorted(set(boxes)))
            page.close()
        browser.close()


def test_a_tap_again_after_the_answer_was_lost_prints_one_certificate(
    kiosk_site: dict[str, Any],
) -> None:
    """The server issues, the township network drops the answer, the producer taps again:
    the same certificate and print job come back (Idempotency-Key), nothing is issued twice."""
    lost: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        if lost:
            route.continue_()
            return
        answer = route.fetch()  # the request reaches the server, which issues ...
        lost.append(answer.json()["certificate"]["number"])
        route.abort("connectionreset")  # ... and the kiosk never hears back

    before = count_rows(kiosk_site["server"], "certificate")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 600})
        page.route("**/kiosk/api/issue", lose_the_first_answer)
        counter = weigh_cucumbers(page, kiosk_site)
        counter.tap("#confirm-go")
        page.wait_for_selector("#banner:not([hidden])")  # the network error, said
        assert page.locator("#screen-confirm.active").count() == 1
        counter.tap("#confirm-go")  # again
        page.wait_for_selector("#screen-done.active", timeout=30_000)
        number = page.text_content("#done-number")
        browser.close()
    assert lost and number and lost[0] in number
    assert count_rows(kiosk_site["server"], "certificate") == before + 1
    assert count_rows(kiosk_site["server"], "print_job") == 1
    assert len(label_jobs(kiosk_site["printer"].received)) == 2  # one certificate's labels


def count_rows(server: Any, table: str) -> int:
    """Rows of `table` in the server's database."""
    from sqlalchemy import text

    from traceability.db import make_engine

    engine = make_engine(server.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"select count(*) from {table}")).scalar_one())
    finally:
        engine.dispose()


def test_the_weight_keypad_takes_one_decimal_point_and_a_bad_weight_stops_on_its_screen(
    kiosk_site: dict[str, Any],
) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(kiosk_site["server"].base_url + "/phone")
        sign_in(page, TapCounter(page), kiosk_site["demo"]["kiosk_cards"][0]["card"], DEMO_PIN)
        page.wait_for_selector("#screen-products.active")
        page.locator('.product:has-text("黄瓜")').click()
        for key in "1.2.3":
            page.locator(f'#screen-weight .key[data-key="{key}"]').click()
        assert page.input_value("#quantity") == "1.23"
        for key in "45":
            page.locator(f'#screen-weight .key[data-key="{key}"]').click()
        page.click("#weight-next")  # 1.2345: four decimals
        page.wait_for_selector("#banner:not([hidden])")
        assert "最多三位小数" in page.inner_text("#banner")
        assert page.locator("#screen-weight.active").count() == 1
        page.fill("#quantity", "1e5")  # typed on a keyboard
        page.click("#weight-next")
        page.wait_for_function("document.getElementById('banner').textContent.includes('数字')")
        assert page.locator("#screen-weight.active").count() == 1
        browser.close()


def test_with_the_agent_stopped_the_printing_screen_says_so_and_offers_a_way_out(
    kiosk_site: dict[str, Any],
) -> None:
    agent = kiosk_site["agent"]
    agent.terminate()
    agent.wait(timeout=10)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        open_kiosk(page, kiosk_site, "&print_wait=2")
        counter = TapCounter(page)
        sign_in(page, counter, kiosk_site["demo"]["kiosk_cards"][0]["card"], DEMO_PIN)
        page.wait_for_selector("#screen-products.active")
        counter.tap('.product:has-text("黄瓜")')
        page.fill("#quantity", "12.5")  # no agent, no scale
        counter.tap("#weight-next")
        page.wait_for_selector("#screen-confirm.active")
        counter.tap("#confirm-go")
        page.wait_for_selector("#screen-printing.active")
        page.wait_for_selector("#printing-done:visible", timeout=15_000)
        assert "请找工作人员" in page.inner_text("#printing-title")
        assert "可以补打" in page.inner_text("#printing-title")
        assert "HGZ" in page.inner_text("#printing-detail")  # the number, for the reprint
        page.click("#printing-done")
        page.wait_for_selector("#screen-start.active")
        browser.close()
    assert kiosk_site["printer"].jobs == 0


KIOSK_SIZES = [(1280, 800), (1024, 768), (1024, 600)]
KIOSK_SIZE_IDS = ["1280x800", "1024x768", "1024x600"]
NO_SCROLLING = "() => document.scrollingElement.scrollHeight <= window.innerHeight"

LINES_OF_TEXT = """(selector) => {
    const range = document.createRange();
    range.selectNodeContents(document.querySelector(selector));
    return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.bottom))).size;
}"""


def huge_button_height(size: tuple[int, int]) -> float:
    """kiosk.css `.huge`: 4.5rem high, 3.6rem on a screen under 650 px; never squeezed."""
    return 16 * (3.6 if size[1] <= 650 else 4.5) - 0.5  # rounding


def ban_on_the_cucumbers(site: dict[str, Any]) -> None:
    """甲胺磷 recorded on the demo 黄瓜 today: the gate refuses with a two-line message."""
    from datetime import date

    server = site["server"]
    api(server, "POST", "/api/v1/production-records", site["token"], {
        "producer_id": 1, "product_id": cucumber_product_id(server), "substance": "甲胺磷",
        "dose": "50 ml/亩", "method": "喷雾", "used_on": date.today().isoformat(), "operator": "张三",
    })  # fmt: skip


@pytest.mark.parametrize("size", KIOSK_SIZES, ids=KIOSK_SIZE_IDS)
def test_a_refusal_in_the_banner_leaves_the_print_button_on_screen_without_scrolling(
    kiosk_site: dict[str, Any], size: tuple[int, int]
) -> None:
    """The banner takes its lines from the top; the label preview gives way, never the
    buttons: the producer reads why and still reaches 我承诺，打印 and 返回 as the page stands."""
    ban_on_the_cucumbers(kiosk_site)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        counter = weigh_cucumbers(page, kiosk_site)
        page.wait_for_function(
            "document.getElementById('preview').complete && document.getElementById('preview').naturalWidth > 0"
        )
        counter.tap("#confirm-go")
        page.wait_for_selector("#banner:not([hidden])")
        page.screenshot(path=str(ARTIFACTS / f"kiosk-refused-{size[0]}x{size[1]}.png"))
        banner = page.locator("#banner")
        lines = page.evaluate(LINES_OF_TEXT, "#banner")
        boxes = {
            name: page.locator(selector).bounding_box()
            for name, selector in [("banner", "#banner"), ("print", "#confirm-go"),
                                   ("back", '#screen-confirm [data-action="back"]'),
                                   ("preview", "#preview"), ("more", '[data-step="1"]')]
        }  # fmt: skip
        scrolling = page.evaluate(SCROLLING)
        document_fits = page.evaluate(NO_SCROLLING)
        uncovered = page.locator("#confirm-go").evaluate(TAPPED_AT_CENTRE)
        message = banner.text_content()
        browser.close()
    assert message and "甲胺磷" in message
    assert lines >= 2  # the case the screen must hold
    assert scrolling == [] and document_fits
    for name, box in boxes.items():
        assert on_screen(box, size), name
    assert uncovered
    print_button, preview = boxes["print"], boxes["preview"]
    assert print_button is not None and print_button["height"] >= huge_button_height(size)
    assert preview is not None and preview["height"] >= 120  # shrunk, still a label to look at
    assert kiosk_site["printer"].jobs == 0


@pytest.mark.parametrize("size", KIOSK_SIZES[:2], ids=KIOSK_SIZE_IDS[:2])
def test_a_three_line_refusal_still_leaves_the_print_button_on_screen(
    kiosk_site: dict[str, Any], size: tuple[int, int]
) -> None:
    """The longest refusals (an interval still running, with the reference it comes from)
    run to three lines at 1024 wide; the English screen's are longer still."""
    long_zh = (
        "不能开具合格证：2026-12-01 使用的“毒死蜱”安全间隔期为 7 天，2026-12-08 起才能采收；"
        "本批次采收日期 2026-12-05 仍在安全间隔期内。（依据：农业农村部公告第2032号 GB 2763-2021 "
        "食品安全国家标准 食品中农药最大残留限量；名录版本 interval 2026.1 r1）"
    )

    def refuse(route: Any) -> None:
        route.fulfill(status=422, content_type="application/json", body=json.dumps({
            "error": "pre_harvest_interval", "message_zh": long_zh, "message_en": "Cannot issue",
        }))  # fmt: skip

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.route("**/kiosk/api/issue", refuse)
        counter = weigh_cucumbers(page, kiosk_site)
        page.wait_for_function(
            "document.getElementById('preview').complete && document.getElementById('preview').naturalWidth > 0"
        )
        counter.tap("#confirm-go")
        page.wait_for_selector("#banner:not([hidden])")
        page.screenshot(path=str(ARTIFACTS / f"kiosk-refused-long-{size[0]}x{size[1]}.png"))
        banner_box = page.locator("#banner").bounding_box()
        button_box = page.locator("#confirm-go").bounding_box()
        scrolling = page.evaluate(SCROLLING)
        document_fits = page.evaluate(NO_SCROLLING)
        message = page.text_content("#banner")
        browser.close()
    assert message == long_zh
    assert scrolling == [] and document_fits
    assert on_screen(banner_box, size) and on_screen(button_box, size)
    assert button_box is not None and button_box["height"] >= huge_button_height(size)


LONG_NAMES = [
    "青禾县清河镇李家庄村生态种植基地有机富硒水果黄瓜一号精选礼盒",
    "青禾县清河镇王家洼村林下仿野生栽培椴木香菇精选特级干货礼盒装",
    "青禾县石门乡茶园村高山云雾明前手工采摘绿茶鲜叶一芽一叶初展期",
    "青禾县城关街道东关村设施大棚无土栽培樱桃番茄千禧品种露天成熟",
    "青禾县城关街道西关村露地种植大白菜北京新三号秋季鲜菜整棵带根",
    "青禾县石门乡石门村稻田综合种养小龙虾配套有机水稻大米当季新米",
]  # fmt: skip
"""Six registered names of 30 characters: each would take four lines of a tile."""


PRODUCT_TILES = """() => Array.from(document.querySelectorAll("#products .product"), (tile) => {
    const name = tile.querySelector(".name");
    const box = tile.getBoundingClientRect();
    return {title: tile.title, x: box.x, y: box.y, width: box.width, height: box.height,
            lines: name.clientHeight / parseFloat(getComputedStyle(name).lineHeight)};
})"""
FITS_UNSCROLLED = """() => [document.scrollingElement, document.querySelector("main")]
    .every((el) => el.scrollHeight <= el.clientHeight && el.scrollTop === 0)"""


def products_screen(page: Page, site: dict[str, Any], names: list[str]) -> None:
    """`names` registered for the demo 黄瓜 producer (besides 黄瓜 and 香菇), who signs in."""
    for name in names:
        api(site["server"], "POST", "/api/v1/producers/1/products", site["token"],
            {"name": name, "category": "vegetable"})  # fmt: skip
    open_kiosk(page, site)
    sign_in(page, TapCounter(page), site["demo"]["kiosk_cards"][0]["card"], DEMO_PIN)
    page.wait_for_selector("#screen-products.active")


def whole_lines(tile: dict[str, Any]) -> bool:
    """The name shows whole lines: not squeezed by its tile to a line and a half."""
    return tile["lines"] >= 0.95 and abs(tile["lines"] - round(tile["lines"])) < 0.05


def first_row(tiles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [tile for tile in tiles if tile["y"] == tiles[0]["y"]]


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)], ids=["1024x768", "1280x800"])
def test_long_product_names_take_two_lines_and_keep_the_tiles_and_signout_on_screen(
    kiosk_site: dict[str, Any], size: tuple[int, int]
) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        products_screen(page, kiosk_site, LONG_NAMES)
        page.screenshot(path=str(ARTIFACTS / f"kiosk-long-names-{size[0]}x{size[1]}.png"))
        tiles: list[dict[str, Any]] = page.evaluate(PRODUCT_TILES)
        signout = page.locator('[data-action="signout"]').bounding_box()
        fits = page.evaluate(FITS_UNSCROLLED)
        browser.close()
    assert len(tiles) == 2 + len(LONG_NAMES)
    assert set(LONG_NAMES) <= {tile["title"] for tile in tiles}  # the whole name, on a long look
    assert all(tile["lines"] <= 2.05 for tile in tiles)  # the clamp holds
    assert all(whole_lines(tile) for tile in tiles)
    assert all(round(tile["lines"]) == 2 for tile in tiles if tile["title"] in LONG_NAMES)
    assert len(first_row(tiles)) >= 3
    for tile in tiles:  # all eight at a glance, none stretched by its name, none squeezed
        assert on_screen(tile, size)  # type: ignore[arg-type]
        assert tile["height"] <= 12 * 16 and tile["width"] >= 12 * 16 - 1  # `.grid`: 12rem
    assert on_screen(signout, size)
    assert fits


@pytest.mark.parametrize("size", [(1024, 768), (1024, 600)], ids=["1024x768", "1024x600"])
def test_many_products_scroll_inside_their_box_and_signout_stays_on_screen(
    kiosk_site: dict[str, Any], size: tuple[int, int]
) -> None:
    """A purchaser or cooperative with twenty products: the tiles scroll, 退出 does not."""
    names = LONG_NAMES + [f"{name[:27]}第{n}批" for n in (2, 3) for name in LONG_NAMES]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        products_screen(page, kiosk_site, names)
        page.screenshot(path=str(ARTIFACTS / f"kiosk-many-products-{size[0]}x{size[1]}.png"))
        tiles: list[dict[str, Any]] = page.evaluate(PRODUCT_TILES)
        signout = page.locator('[data-action="signout"]').bounding_box()
        assert len(tiles) == 2 + len(names)
        assert all(tile["lines"] <= 2.05 for tile in tiles)  # the clamp holds
        for tile in first_row(tiles):
            assert on_screen(tile, size)  # type: ignore[arg-type]
        assert all(whole_lines(tile) for tile in tiles)  # no tile squeezed to fit the box
        assert on_screen(signout, size) and page.evaluate(FITS_UNSCROLLED)
        page.mouse.move(size[0] / 2, tiles[0]["y"] + tiles[0]["height"] / 2)
        page.mouse.wheel(0, 5000)  # a swipe down the tiles
        page.wait_for_function("document.getElementById('products').scrollTop > 0")
        last = page.locator("#products .product").last
        last_box = last.bounding_box()
        signout_after = page.locator('[data-action="signout"]').bounding_box()
        last.click()  # the twentieth product, chosen as the first
        page.wait_for_selector("#screen-weight.active")
        chosen = page.text_content("#weight-product")
        browser.close()
    assert on_screen(last_box, size) and signout_after == signout
    assert chosen == names[-1]
