"""The producer form: what the registry refuses is said beside the field it is about, in the
page's language, and nothing is stored."""

from __future__ import annotations

import html

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import func, select

from tests.traceability.signing_in import form_csrf, sign_in
from traceability.db import get_engine, session_scope
from traceability.models import Producer

PATH = "/admin/producers/new"


def _producers(app: Flask) -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        return int(session.exec(select(func.count()).select_from(Producer)).one())


def _field(page: str, name: str) -> str:
    """The page from the field's input on: its errors are shown right after it."""
    return page[page.index(f'name="{name}"') :]


@pytest.mark.parametrize(
    ("query", "said", "not_said"),
    [("", "电话“12345”无效", "is invalid"), ("?lang=en", "Phone '12345' is invalid", "无效")],
    ids=["zh", "en"],
)
def test_a_refused_phone_is_marked_beside_the_phone_in_the_pages_language(
    app: Flask, client: FlaskClient, query: str, said: str, not_said: str
) -> None:
    sign_in(app, client, "county", role="county_admin")
    before = _producers(app)
    data = {"kind": "smallholder", "name": "王五", "phone": "12345"}

    answer = client.post(PATH + query, data={**data, "csrf_token": form_csrf(client, PATH)})

    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    phone = _field(page, "phone")
    assert said in phone and said not in page[: page.index('name="phone"')]
    assert not_said not in phone[: phone.index("</form>")]
    assert _producers(app) == before
