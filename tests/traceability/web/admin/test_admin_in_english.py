"""Staff pages in English name roles, producer kinds and area units in English.

The labels live in Chinese where they are defined (`N_`); pages and form choices translate
them where they show them. Before, /admin/users?lang=en listed 县级管理员 and the registry
农户, because the labels were never in the catalogue.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.signing_in import sign_in

HAN = re.compile(r"[\u3400-\u9fff]")


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", html)]


def test_roles_and_producer_kinds_read_in_english(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "county-en", role="county_admin")
    users = client.get("/admin/users?lang=en").get_data(as_text=True)
    assert "County administrator" in _cells(users)
    assert "县级管理员" not in users
    form = client.get("/admin/tokens/new?lang=en").get_data(as_text=True)
    assert '<option value="market_inspector">Market inspector</option>' in form
    producers = client.get("/admin/producers?lang=en").get_data(as_text=True)
    kinds = {"enterprise", "farmers' cooperative", "family farm", "smallholder", "purchaser"}
    assert kinds <= {cell.replace("&#39;", "'") for cell in _cells(producers)}
    new = client.get("/admin/producers/new?lang=en").get_data(as_text=True)
    assert '<option value="smallholder">smallholder</option>' in new
    assert not HAN.search(" ".join(re.findall(r"<option[^>]*>(.*?)</option>", new)))


def test_the_same_pages_stay_chinese_by_default(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "county-zh", role="county_admin")
    assert "县级管理员" in _cells(client.get("/admin/users").get_data(as_text=True))
    assert "农户" in _cells(client.get("/admin/producers").get_data(as_text=True))
