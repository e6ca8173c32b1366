"""The language switch keeps what the page was asked for (a code, a period, the agent).

A bare "?lang=en" dropped the rest of the query: a supervisor reading one code's scans
landed on an empty form, a kiosk lost the address of its print agent. The public
lookup's kept pages, served to every shopper, keep a bare link.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.signing_in import sign_in


def _switch(page: str) -> str:
    """The href of the page's language switch, as a browser reads it."""
    found = re.search(r'<nav class="lang">\s*<a href="([^"]*)"', page)
    assert found, "the page has a language switch"
    return found.group(1).replace("&amp;", "&")


def test_a_staff_page_keeps_its_query_when_the_language_changes(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    county = sign_in(app, client, "county-lang", role="county_admin")
    page = county.get("/supervision/cloned-codes?days=30").get_data(as_text=True)
    assert _switch(page) == "?days=30&lang=en"
    english = county.get("/supervision/cloned-codes?days=30&lang=en").get_data(as_text=True)
    assert _switch(english) == "?days=30&lang=zh_CN"  # replaced, not repeated
    followed = county.get("/supervision/cloned-codes" + _switch(page)).get_data(as_text=True)
    assert 'value="30"' in followed and "Codes that may have been copied" in followed


def test_a_query_value_is_escaped_in_the_link(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    county = sign_in(app, client, "county-escape", role="county_admin")
    page = county.get('/supervision/scans?code=A"><script>x</script>&days=1').get_data(as_text=True)
    assert "<script>x</script>" not in page
    assert _switch(page).startswith("?code=A%22%3E%3Cscript%3Ex%3C%2Fscript%3E")


def test_the_public_lookup_keeps_a_bare_link(client: FlaskClient, demo: dict[str, Any]) -> None:
    url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    path = "/C/" + url.split("/C/", 1)[1]
    page = client.get(path + "?utm_source=wechat").get_data(as_text=True)
    assert _switch(page) == "?lang=en"


def test_the_kiosk_keeps_its_agent_address(client: FlaskClient) -> None:
    page = client.get("/phone?agent=http://127.0.0.1:8765").get_data(as_text=True)
    found = re.search(r'class="bar-lang" href="([^"]*)"', page)
    assert found and found.group(1).replace("&amp;", "&") == (
        "?agent=http%3A%2F%2F127.0.0.1%3A8765&lang=en"
    )
