"""Signing in through the real login form, for tests of pages behind it."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from traceability.accounts.service import UserInput, create_user
from traceability.db import get_engine, session_scope

PASSWORD = "correct-horse-battery"

_CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def form_csrf(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the form on `path`, as a browser would submit it."""
    html = client.get(path).get_data(as_text=True)
    found = _CSRF_FIELD.search(html)
    assert found, f"{path} carries a CSRF token"
    return found.group(1)


def sign_in(
    app: Flask, client: FlaskClient, username: str, *, password: str = PASSWORD, **user: Any
) -> FlaskClient:
    """Create the user (role, producer, market… as keywords) and sign in with the form."""
    with app.app_context(), session_scope(get_engine()) as session:
        create_user(session, UserInput(username=username, password=password, **user))
    data = {"username": username, "password": password, "csrf_token": form_csrf(client)}
    assert client.post("/login", data=data).status_code == 302
    return client
