"""The reference lists' version history (版本记录) names who made each version as a case's
history does: the person by name, a token by its name, in the page's language; the first
version is the shipped file's."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.signing_in import form_csrf, sign_in

_HISTORY = re.compile(r'<section id="pesticide">.*?<details>(.*?)</details>', re.S)


def _history(client: FlaskClient, query: str = "") -> str:
    page = html.unescape(client.get(f"/compliance/reference{query}").get_data(as_text=True))
    found = _HISTORY.search(page)
    assert found, "the pesticide list shows its versions"
    return found.group(1)


def _add_pesticide(client: FlaskClient, name: str) -> None:
    data = {
        "csrf_token": form_csrf(client, "/compliance/reference"),
        "kind": "pesticide",
        "substance_zh": name,
        "scope": "all",
        "source": "农业农村部公告第736号",
        "verified": "check",
    }
    assert client.post("/compliance/reference", data=data).status_code == 302


def test_a_version_made_on_the_page_names_the_person_not_their_key(
    app: Flask, client: FlaskClient
) -> None:
    sign_in(app, client, "li-kezhang", role="county_admin", display_name="李科长")
    _add_pesticide(client, "测试磷")
    history = _history(client)
    assert "added 测试磷 · 李科长" in history
    assert "user:" not in history
    assert "随软件发布" in history  # r1, the shipped file
    assert "Shipped with the software" in _history(client, "?lang=en")


def test_a_version_made_through_the_api_names_the_token(
    app: Flask, client: FlaskClient, make_token: Any
) -> None:
    body = {"substance_zh": "测试威", "scope": "all", "source": "农业农村部公告第736号"}
    assert (
        client.post("/api/v1/reference/pesticide", json=body, headers=make_token()).status_code
        == 201
    )
    sign_in(app, client, "reader", role="county_admin")
    history = _history(client)
    assert "added 测试威 · API 令牌“test”" in history
    assert "token:" not in history
    assert "added 测试威 · API token “test”" in _history(client, "?lang=en")
