"""The tests page under gunicorn in headless Chromium: a lab report PDF chosen in the file
input is saved with its test, listed, and downloads byte for byte."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.server import ROOT, cli_json, gunicorn_server
from tests.e2e.test_intake_page import ARGS, CHROMIUM

playwright = pytest.importorskip("playwright.sync_api")
ARTIFACTS = ROOT / "test-artifacts" / "lab-report"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_a_lab_report_pdf_uploaded_through_the_page_is_listed_and_downloads_identical(
    empty_database_url: str, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    scan = tmp_path / "检测报告JC-118.pdf"
    scan.write_bytes(PDF)
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        subprocess.run(
            [sys.executable, "-m", "traceability", "users", "create", "--username", "zhangjian",
             "--role", "county_admin", "--password-stdin"],
            input="county-pass-2026\n", env=env, cwd=ROOT, text=True, check=True,
            capture_output=True, timeout=120,
        )  # fmt: skip

        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context(accept_downloads=True).new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.goto(base + "/login?next=/compliance/tests")
            page.fill("input[name=username]", "zhangjian")
            page.fill("input[name=password]", "county-pass-2026")
            page.click("form button[type=submit]")
            page.wait_for_url(base + "/compliance/tests")

            page.select_option("select[name=method]", "lab_report")
            page.fill("input[name=batch_id]", "1")
            page.fill("input[name=lab_name]", "县农产品质量检测站")
            page.fill("input[name=report_no]", "JC-2026-118")
            page.fill("input[name=items]", "毒死蜱、克百威")
            page.select_option("select[name=result]", "pass")
            page.fill("input[name=operator]", "检测员")
            page.set_input_files("input[name=report]", str(scan))
            page.click("form.form button[type=submit]")
            link = page.wait_for_selector("a.report-file")
            assert link is not None and link.inner_text() == "检测报告JC-118.pdf"
            page.screenshot(path=str(ARTIFACTS / "listed.png"), full_page=True)

            with page.expect_download() as caught:
                link.click()
            download = caught.value
            assert download.suggested_filename == "检测报告JC-118.pdf"
            saved = Path(download.path())
            assert hashlib.sha256(saved.read_bytes()).digest() == hashlib.sha256(PDF).digest()
            browser.close()
    assert problems == []
