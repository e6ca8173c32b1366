"""The registry list names where each producer is, and offers only what the reader may do."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.signing_in import sign_in


def _row(html: str, name: str) -> str:
    found = re.search(r"<tr>((?:(?!</tr>).)*" + re.escape(name) + r".*?)</tr>", html, re.S)
    assert found, name
    return found.group(1)


def test_each_producer_is_placed_by_township_and_village(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """The column used to print only a division code, empty for every demo producer."""
    sign_in(app, client, "county", role="county_admin")
    html = client.get("/admin/producers").get_data(as_text=True)
    assert "城关街道 东关村" in _row(html, "青禾绿源蔬菜有限公司")
    assert 'href="/admin/producers/new"' in html


def test_a_rapid_test_operator_lists_every_producer_but_is_not_offered_to_register_one(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """It reads every producer's record (it samples county-wide, it has no townships);
    its list used to be empty."""
    sign_in(app, client, "tester", role="rapid_test_operator")
    html = client.get("/admin/producers").get_data(as_text=True)
    assert "青禾绿源蔬菜有限公司" in html and 'href="/admin/producers/new"' not in html
