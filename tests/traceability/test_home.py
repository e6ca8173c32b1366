"""The home page lists the county's townships and producers, Chinese first."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from traceability.db import get_engine, session_scope
from traceability.demo import load_demo


def load(app: Flask) -> dict[str, object]:
    with app.app_context(), session_scope(get_engine()) as session:
        return load_demo(session, app.config)


def test_home_lists_townships_and_producers_of_the_demo_county(
    app: Flask, client: FlaskClient
) -> None:
    load(app)
    page = client.get("/").get_data(as_text=True)
    assert "青禾县" in page
    for township in ("城关街道", "清河镇", "石门乡"):
        assert township in page
    for producer in ("青禾绿源蔬菜有限公司", "张秀英", "青禾县万家农产品收购站"):
        assert producer in page
    assert 'lang="zh-CN"' in page


def test_home_switches_to_english_on_request(app: Flask, client: FlaskClient) -> None:
    load(app)
    page = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "smallholder" in page


def test_unknown_page_is_a_404_with_a_message_in_both_languages(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    body = response.get_json()
    assert body["message_zh"] and body["message_en"]
