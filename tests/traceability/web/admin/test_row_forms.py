"""Admin lists with a form on every row: each id once on the page, each row's form posts."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import in_session
from tests.traceability.page_forms import forms_on
from tests.traceability.signing_in import PASSWORD, sign_in
from traceability.accounts.service import UserInput, create_user
from traceability.auth.tokens import create_token
from traceability.models import ApiToken, User


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    return sign_in(app, client, "county", role="county_admin")


def test_the_users_page_names_each_id_once_and_each_row_form_posts(
    app: Flask, admin: FlaskClient
) -> None:
    def users(session: Session) -> list[int]:
        made = [
            create_user(session, UserInput(username=f"user{n}", password=PASSWORD, role="county_admin"))
            for n in range(3)
        ]  # fmt: skip
        return [u.id for u in made if u.id is not None]

    ids = in_session(app, users)
    page = forms_on(admin, "/admin/users")
    assert page.repeated_ids() == []
    action = f"/admin/users/{ids[0]}/deactivate"
    assert admin.post(action, data={"csrf_token": page.tokens[action]}).status_code == 302
    user = in_session(app, lambda s: s.get(User, ids[0]))
    assert user is not None and not user.active


def test_the_tokens_page_names_each_id_once_and_each_row_form_posts(
    app: Flask, admin: FlaskClient
) -> None:
    def tokens(session: Session) -> list[int]:
        for n in range(3):
            create_token(session, name=f"t{n}", role="county_admin")
        return [t.id for t in session.exec(select(ApiToken)).all() if t.id is not None]

    ids: list[Any] = in_session(app, tokens)
    page = forms_on(admin, "/admin/tokens")
    assert page.repeated_ids() == []
    action = f"/admin/tokens/{ids[1]}/revoke"
    assert admin.post(action, data={"csrf_token": page.tokens[action]}).status_code == 302
    token = in_session(app, lambda s: s.get(ApiToken, ids[1]))
    assert token is not None and token.revoked_at is not None
