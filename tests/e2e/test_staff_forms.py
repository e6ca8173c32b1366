"""Staff forms are posted once in a real Chromium: a second submit while the first is on
its way is stopped (static/forms.js), so a double click cannot record a test twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_supervision_page import CHROMIUM, demo_site, signed_in

# after forms.js's own listener: note whether each submit was stopped, and keep the page
# (the test looks at what the browser would have sent, not at a navigation)
WATCH_SUBMITS = """() => {
    window.prevented = [];
    document.addEventListener("submit", (event) => {
        window.prevented.push(event.defaultPrevented);
        event.preventDefault();
    });
}"""


def _submit_twice(page: Any, form: str) -> list[bool]:
    page.evaluate(WATCH_SUBMITS)
    page.evaluate(
        f"() => {{ const f = document.querySelector({form!r}); f.noValidate = true; f.requestSubmit(); f.requestSubmit(); }}"
    )
    return list(page.evaluate("window.prevented"))


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_a_posted_form_goes_once_and_a_filter_form_as_often_as_asked(
    empty_database_url: str, tmp_path: Path
) -> None:
    with demo_site(empty_database_url, tmp_path / "instance") as (base, browser, problems, _):
        county = signed_in(browser, base, "admin", problems)
        county.goto(base + "/compliance/tests")
        assert county.get_attribute("form.form", "method") == "post"
        assert _submit_twice(county, "form.form") == [False, True]
        county.goto(base + "/supervision/cloned-codes")  # its days filter: method get
        assert _submit_twice(county, "form.filters") == [False, False]
    assert problems == []
