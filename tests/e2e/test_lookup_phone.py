"""The public lookup as a shopper sees it: a phone's Chromium, 390×844, real gunicorn.

The verdict is the first thing on the screen; when it is not "genuine", what to do and a
number to call follow within the first screen, without scrolling, and the number is a
tap target that dials (tel:).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import ROOT, cli_json, gunicorn_server

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(empty_database_url: str, tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    """A phone-sized page on the demo county, and the paths of its codes by kind."""
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        demo = cli_json(server.env, "demo")

        def path(status: str) -> str:
            url = next(c["url"] for c in demo["codes"] if c["status"] == status)
            return server.base_url + "/C/" + url.split("/C/", 1)[1]

        genuine = path("valid")
        cut = genuine.rindex(".") + 3  # one character of the signature changed
        altered = genuine[:cut] + ("A" if genuine[cut] != "A" else "B") + genuine[cut + 1 :]
        paths = {"genuine": genuine, "revoked": path("revoked"), "altered": altered}
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
                yield context.new_page(), paths
            finally:
                browser.close()


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return dict(box)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.parametrize(
    ("kind", "verdict", "says"),
    [
        ("revoked", "已撤销", "请不要购买或食用"),
        ("altered", "无法验证", "标签可能是伪造或被篡改的"),
    ],
)
def test_a_bad_verdict_and_what_to_do_fit_the_first_screen(
    phone: tuple[Any, dict[str, str]], kind: str, verdict: str, says: str
) -> None:
    page, paths = phone
    page.goto(paths[kind])
    assert page.locator("section.verdict h1").inner_text() == verdict
    assert says in page.locator("section.advice").inner_text()
    advice = _box(page, "section.advice")
    assert advice["y"] + advice["height"] <= PHONE["height"]  # no scrolling to find it
    assert _box(page, "section.verdict")["y"] < advice["y"]
    hotline = page.locator("section.advice a.hotline")
    assert hotline.get_attribute("href") == "tel:12315"
    assert _box(page, "section.advice a.hotline")["height"] >= 24  # a finger can hit it
    page.screenshot(path=str(ARTIFACTS / f"lookup-{kind}-390x844.png"), full_page=True)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_a_genuine_code_shows_the_verdict_first_and_no_advice(
    phone: tuple[Any, dict[str, str]],
) -> None:
    page, paths = phone
    page.goto(paths["genuine"])
    assert page.locator("section.verdict h1").inner_text() == "真品"
    assert _box(page, "section.verdict")["y"] < _box(page, "article.cert")["y"]
    assert page.locator("section.advice").count() == 0
    page.screenshot(path=str(ARTIFACTS / "lookup-genuine-390x844.png"), full_page=True)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_the_english_page_keeps_its_language_link_on_one_line_and_fits_the_width(
    phone: tuple[Any, dict[str, str]],
) -> None:
    """Beside the long English title, "中文" used to break into "中" over "文"."""
    page, paths = phone
    page.goto(paths["genuine"] + "?lang=en")
    assert page.locator("section.verdict h1").inner_text() == "Genuine"
    lines = page.eval_on_selector(
        ".topbar .lang a",
        "a => new Set([...a.getClientRects()].map(r => Math.round(r.top))).size",
    )
    assert (page.locator(".topbar .lang a").inner_text(), lines) == ("中文", 1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing scrolls sideways


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_the_certificate_title_is_spaced_in_chinese_but_not_in_english(
    phone: tuple[Any, dict[str, str]],
) -> None:
    """承 诺 达 标 合 格 证 reads well spaced out; "C e r t i f i c a t e" does not."""
    page, paths = phone
    spacing = "h => getComputedStyle(h).letterSpacing"
    page.goto(paths["genuine"] + "?lang=zh_CN")
    chinese = page.eval_on_selector(".cert h2", spacing)
    page.goto(paths["genuine"] + "?lang=en")
    english = page.eval_on_selector(".cert h2", spacing)
    assert chinese not in ("normal", "0px")
    assert english in ("normal", "0px")
