"""The intake page under gunicorn in headless Chromium: typed (keyboard-wedge) scans get
their verdicts online and offline, and after reconnecting the ledger has each intake once."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.e2e.server import ROOT, cli_json, gunicorn_server, traceability_cli

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "intake"


def _call(base: str, path: str, token: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def issue(base: str, admin: str, items: int) -> dict[str, Any]:
    """A certificate for demo batch 1 with `items` codes, issued with the `admin` token."""
    return dict(
        _call(
            base,
            "/api/v1/certificates",
            admin,
            {
                "producer_id": 1,
                "batch_id": 1,
                "items": items,
                "basis": ["quality_control"],
                "signature_confirmed": True,
            },
        )
    )


def county_admin(env: dict[str, str]) -> str:
    """A bearer token of a county admin (it issues the certificates the market receives)."""
    return str(
        cli_json(env, "token", "create", "--name", "admin", "--role", "county_admin")["token"]
    )


def _issue_as_admin(base: str, env: dict[str, str], *, items: int) -> tuple[str, list[str]]:
    """A county admin token, and the code URLs of a certificate for demo batch 1."""
    admin = county_admin(env)
    return admin, [item["url"] for item in issue(base, admin, items)["items"]]


def market_inspector(env: dict[str, str]) -> str:
    """A supermarket, and a bearer token of an inspector of it."""
    market = cli_json(env, "market", "add", "--name", "青禾惠民超市", "--kind", "supermarket")
    return str(
        cli_json(
            env, "token", "create", "--name", "e2e", "--role", "market_inspector",
            "--market-id", str(market["id"]),
        )["token"]
    )  # fmt: skip


def _tampered(url: str) -> str:
    head, signature = url.rsplit(".", 1)
    return f"{head}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}"


class IntakePage:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.scans = 0

    @classmethod
    def opened(cls, page: Any, base: str, token: str, query: str = "") -> IntakePage:
        """The intake page with an inspector's token, ready for the first scan."""
        page.goto(base + "/intake" + query)
        # the page settled first (keys and revocation list loaded, its status line filled):
        # a click while that line still changed could land beside the moved button, and
        # the sign-in never happened (one CI run: no market, the form still shown)
        page.wait_for_selector("#intake[data-ready=true]")
        page.fill("#token", token)
        page.fill("#inspector", "李娜")
        page.click("#token-form button[type=submit]")
        page.wait_for_selector("#setup", state="hidden")
        intake = cls(page)
        intake.ready()
        return intake

    def ready(self) -> None:
        """The market is shown and the scan field has the focus: typing goes there, not
        into the inspector's name (a fresh page still settling its focus)."""
        try:
            self.page.wait_for_function(
                "document.querySelector('#market-name').textContent.length > 0"
                " && document.activeElement.id === 'scan-input'"
            )
        except playwright.Error:
            # a rare failure under load: say which half was missing, and keep the screen
            seen = self.page.evaluate(
                "({market: document.querySelector('#market-name').textContent,"
                " focus: document.activeElement && (document.activeElement.id ||"
                " document.activeElement.tagName), setup: document.querySelector('#setup').hidden,"
                " problem: !document.querySelector('#account-problem').hidden,"
                " status: document.querySelector('#net-status').textContent})"
            )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(ARTIFACTS / "not-ready.png"), full_page=True)
            print(f"--- intake page not ready: {seen}")
            raise

    def scan(self, text: str, expected: str) -> None:
        """Type like a keyboard-wedge scanner: the text, then Enter."""
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        self.scans += 1
        self.page.wait_for_function(
            f"document.querySelectorAll('#history li').length === {self.scans}"
        )
        shown = self.page.get_attribute("#verdict", "data-verdict")
        assert shown == expected, self.page.text_content("#verdict-detail")

    def status(self, name: str) -> str:
        return str(self.page.get_attribute("#net-status", f"data-{name}"))


# Every frame's box of the token form's button, from the first drawn frame until the page
# has settled and ten frames more (run before the page's own scripts).
_BUTTON_BOXES = """
window.__boxes = [];
const frame = () => {
  const button = document.querySelector("#token-form button[type=submit]");
  if (button && document.readyState !== "loading") {
    const r = button.getBoundingClientRect();
    window.__boxes.push([r.x, r.y, r.width, r.height].map(Math.round).join(","));
  }
  const ready = document.querySelector("#intake[data-ready=true]");
  window.__settled = ready ? (window.__settled || 0) + 1 : 0;
  if (window.__settled < 10) requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
"""


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_sign_in_button_stays_put_while_the_page_loads_its_keys(
    empty_database_url: str, tmp_path: Path
) -> None:
    """The status line is filled in and rewritten as the keys and the revocation list load:
    it must not move the button an inspector is about to tap (a tap that lands beside it
    signs nobody in), on a phone or a desk, in either language."""
    with (
        gunicorn_server(empty_database_url, tmp_path / "instance") as server,
        playwright.sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, height in [(390, 844), (1280, 720)]:
            for query in ["", "?lang=en"]:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.add_init_script(_BUTTON_BOXES)
                page.goto(server.base_url + "/intake" + query)
                page.wait_for_function("window.__settled >= 10")
                status = page.text_content("#net-status")
                boxes = page.evaluate("window.__boxes")
                assert status and len(boxes) > 10, (width, query, status, boxes)
                assert set(boxes) == {boxes[0]}, (width, query, sorted(set(boxes)))
                page.close()
        browser.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_intake_page_scans_online_and_offline_and_syncs_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        demo = cli_json(env, "demo")
        revoked = next(c["url"] for c in demo["codes"] if c["status"] == "revoked")
        here = cli_json(env, "market", "add", "--name", "青禾惠民超市", "--kind", "supermarket")
        there = cli_json(env, "market", "add", "--name", "城南农贸市场", "--kind", "farmers_market")
        inspector = cli_json(
            env,
            "token",
            "create",
            "--name",
            "e2e",
            "--role",
            "market_inspector",
            "--market-id",
            str(here["id"]),
        )["token"]
        elsewhere = cli_json(
            env,
            "token",
            "create",
            "--name",
            "e2e2",
            "--role",
            "market_inspector",
            "--market-id",
            str(there["id"]),
        )["token"]
        _, urls = _issue_as_admin(base, env, items=6)
        a, b, c, d, e, _ = urls
        _call(
            base, "/api/v1/intake", elsewhere, {"records": [{"uuid": str(uuid.uuid4()), "code": c}]}
        )

        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context()
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            try:
                intake = IntakePage.opened(page, base, inspector)
            except playwright.Error:
                # a rare failure under load: what the page saw goes into the test's output
                print("--- browser console ---\n" + "\n".join(problems))
                raise

            intake.scan(a, "genuine")
            # the scanner fires twice: ignored within 2 s. All at once, as a scanner sends it:
            # typed key by key, 130 characters could take over 2 s on a loaded machine
            page.keyboard.insert_text(a)
            page.keyboard.press("Enter")
            page.wait_for_function("document.querySelector('#scan-note').textContent.length > 0")
            intake.scan(revoked, "revoked")
            intake.scan(b, "genuine")
            intake.scan(a.lower(), "over_scanned")
            intake.scan(_tampered(b), "not_genuine")
            intake.scan(c, "other_market")
            intake.scan("hello", "malformed")
            assert page.evaluate("document.activeElement.id") == "scan-input"
            page.screenshot(path=str(ARTIFACTS / "online.png"), full_page=True)

            context.set_offline(True)
            page.wait_for_selector("#net-status[data-online=false]")
            intake.scan(d, "genuine")
            assert page.get_attribute("#verdict", "data-provisional") == "false"
            assert intake.status("revocations-stale") == "false"
            intake.scan(revoked, "revoked")  # from the cached, signature-checked list
            # the cached list was last checked 30 h ago: past the 24 h offline grace period
            page.evaluate(
                "localStorage.setItem('trc.revocations_checked_at',"
                " JSON.stringify(Date.now() - 30 * 3600 * 1000))"
            )
            intake.scan(e, "genuine")
            assert page.get_attribute("#verdict", "data-provisional") == "true"
            assert "待联网确认" in str(page.text_content("#verdict-detail"))
            assert intake.status("revocations-stale") == "true"
            assert "30 小时前核对" in str(page.text_content("#net-status"))
            intake.scan(d, "over_scanned")
            intake.scan(_tampered(e), "not_genuine")
            assert intake.status("queue") == "5"
            page.screenshot(path=str(ARTIFACTS / "offline.png"), full_page=True)

            context.set_offline(False)
            page.evaluate("window.dispatchEvent(new Event('online'))")
            page.wait_for_selector("#net-status[data-queue='0']")
            page.wait_for_function("document.querySelectorAll('#ledger-rows tr').length === 11")
            page.screenshot(path=str(ARTIFACTS / "synced.png"), full_page=True)
            context.close()
            browser.close()

        ledger = _call(base, "/api/v1/intake/ledger", inspector)["records"]
        uuids = [r["uuid"] for r in ledger]
        assert len(ledger) == 11 and len(set(uuids)) == 11
        online = ["genuine", "revoked", "genuine", "over_scanned", "not_genuine", "other_market"]
        offline = ["genuine", "revoked", "genuine", "over_scanned", "not_genuine"]
        assert sorted(r["verdict"] for r in ledger) == sorted([*online, *offline])
        synced = [r for r in ledger if r["offline_verdict"]]
        assert len(synced) == 5 and all(r["offline_verdict"] == r["verdict"] for r in synced)
        assert {r["inspector"] for r in ledger} == {"李娜"}
        assert problems == []


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_a_signed_in_inspector_scans_without_a_token(
    empty_database_url: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        market = cli_json(env, "market", "add", "--name", "青禾惠民超市", "--kind", "supermarket")
        subprocess.run(
            [sys.executable, "-m", "traceability", "users", "create", "--username", "wangfang",
             "--role", "market_inspector", "--market-id", str(market["id"]), "--password-stdin"],
            input="inspector-pass-2026\n", env=env, cwd=ROOT, text=True, check=True,
            capture_output=True, timeout=120,
        )  # fmt: skip
        admin, urls = _issue_as_admin(base, env, items=2)
        first, second = urls

        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context().new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.goto(base + "/intake")
            page.click("#setup a.button")  # 登录
            page.fill("input[name=username]", "wangfang")
            page.fill("input[name=password]", "inspector-pass-2026")
            page.click("form button[type=submit]")
            page.wait_for_url(base + "/intake")
            page.wait_for_selector("#intake[data-ready=true]")
            assert page.is_hidden("#setup"), "signed in: no token to paste"
            page.fill("#inspector", "王芳")
            page.click("#scan-input")
            intake = IntakePage(page)
            intake.ready()
            intake.scan(first, "genuine")
            intake.scan(second, "genuine")
            page.screenshot(path=str(ARTIFACTS / "signed-in.png"))
            browser.close()
        ledger = _call(base, f"/api/v1/intake/ledger?market_id={market['id']}", admin)["records"]
    assert problems == []
    assert sorted(r["verdict"] for r in ledger) == ["genuine", "genuine"]
    assert {r["inspector"] for r in ledger} == {"王芳"}


def _allow_connections(admin_url: str, database_url: str, allow: bool) -> None:
    """Let PostgreSQL take connections to the database again, or refuse them and cut the
    ones it has: the database is down as far as the service can tell."""
    name = make_url(database_url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(
                text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')
            )
            if not allow:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
    finally:
        engine.dispose()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_scan_while_the_database_is_down_is_checked_here_queued_and_synced_later(
    empty_database_url: str, tmp_path: Path, postgres_admin_url: str
) -> None:
    """The server answers 503 (database_unavailable): the page treats it like no network,
    so the scan is decided by the signature and kept, not shown as an error and lost."""
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        inspector = market_inspector(env)
        _, (first, second) = _issue_as_admin(base, env, items=2)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context().new_page()
            intake = IntakePage.opened(page, base, inspector)
            intake.scan(first, "genuine")
            _allow_connections(postgres_admin_url, empty_database_url, False)
            try:
                intake.scan(second, "genuine")
                assert intake.status("queue") == "1"
                assert "已保存，联网后自动同步" in str(page.text_content("#verdict-detail"))
            finally:
                _allow_connections(postgres_admin_url, empty_database_url, True)
            # the page syncs every 5 s while it has a network
            page.wait_for_selector("#net-status[data-queue='0']", timeout=30_000)
            browser.close()
        ledger = _call(base, "/api/v1/intake/ledger", inspector)["records"]
    assert len(ledger) == 2
    queued = next(r for r in ledger if r["offline_verdict"])
    assert queued["verdict"] == queued["offline_verdict"] == "genuine"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_a_scan_after_the_token_was_revoked_is_kept_and_sent_after_signing_in_again(
    empty_database_url: str, tmp_path: Path
) -> None:
    """A 401 mid-shift: the scan is checked here and queued, the sign-in shows again, and
    the queue goes with the new token; nothing scanned is lost."""
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        market = cli_json(env, "market", "add", "--name", "青禾惠民超市", "--kind", "supermarket")

        def inspector_token() -> dict[str, Any]:
            return dict(
                cli_json(
                    env, "token", "create", "--name", "e2e", "--role", "market_inspector",
                    "--market-id", str(market["id"]), "--json",
                )
            )  # fmt: skip

        old, new = inspector_token(), inspector_token()
        _, (first, second) = _issue_as_admin(base, env, items=2)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context().new_page()
            intake = IntakePage.opened(page, base, old["token"])
            intake.scan(first, "genuine")
            traceability_cli(env, "token", "revoke", str(old["id"]))
            intake.scan(second, "genuine")
            assert "登录已失效" in str(page.text_content("#verdict-detail"))
            assert intake.status("queue") == "1"
            assert page.is_visible("#setup")
            page.fill("#token", new["token"])
            page.click("#token-form button[type=submit]")
            page.wait_for_selector("#net-status[data-queue='0']", timeout=30_000)
            browser.close()
        ledger = _call(base, "/api/v1/intake/ledger", new["token"])["records"]
    assert len(ledger) == 2
    assert [r["offline_verdict"] for r in ledger if r["offline_verdict"]] == ["genuine"]
