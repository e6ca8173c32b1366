"""Sign-in: hashed passwords, CSRF on every form, lockout after repeated failures; tokens."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.signing_in import PASSWORD, form_csrf
from traceability.accounts.service import UserInput, create_user
from traceability.auth.tokens import create_token, revoke_token
from traceability.db import get_engine, session_scope
from traceability.models import User


def _admin(app: Flask, username: str = "admin") -> int:
    with app.app_context(), session_scope(get_engine()) as session:
        user = create_user(
            session, UserInput(username=username, role="county_admin", password=PASSWORD)
        )
        return user.id or 0


def _login(client: FlaskClient, password: str = PASSWORD, username: str = "admin") -> int:
    token = form_csrf(client)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data).status_code


def test_passwords_are_stored_as_argon2id_hashes(app: Flask) -> None:
    _admin(app)
    with app.app_context(), session_scope(get_engine()) as session:
        stored = session.exec(select(User)).one().password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_a_login_post_without_csrf_token_is_rejected(app: Flask, client: FlaskClient) -> None:
    _admin(app)
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)


def test_an_admin_form_post_without_csrf_token_is_rejected(app: Flask, client: FlaskClient) -> None:
    _admin(app)
    assert _login(client) == 302
    response = client.post("/admin/users/new", data={"username": "x", "role": "county_admin"})
    assert response.status_code == 400


def test_a_user_signs_in_with_the_right_password(app: Flask, client: FlaskClient) -> None:
    _admin(app)
    assert _login(client) == 302
    assert client.get("/admin/users").status_code == 200


def test_five_failures_lock_the_account_even_for_the_right_password(
    app: Flask, client: FlaskClient
) -> None:
    _admin(app)
    for _ in range(5):
        assert _login(client, "wrong-password") == 401
    assert _login(client) == 429


def test_failures_across_accounts_lock_the_address(app: Flask, client: FlaskClient) -> None:
    _admin(app, "admin")
    _admin(app, "second")
    for name in ("nobody1", "nobody2", "nobody3", "nobody4", "nobody5"):
        assert _login(client, "wrong-password", username=name) == 401
    assert _login(client, username="second") == 429


def test_a_deactivated_user_cannot_sign_in(app: Flask, client: FlaskClient) -> None:
    from traceability.accounts.service import set_user_active

    user_id = _admin(app)
    with app.app_context(), session_scope(get_engine()) as session:
        set_user_active(session, user_id, False)
    assert _login(client) == 401


def test_pages_send_anonymous_visitors_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/admin/producers")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_revoked_token_is_refused(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        record, secret = create_token(session, name="t", role="county_admin")
        revoke_token(session, record.id or 0)
    response = client.get("/api/v1/terminals", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"


def test_an_expired_token_is_refused(app: Flask, client: FlaskClient) -> None:
    from traceability.models.types import utcnow

    with app.app_context(), session_scope(get_engine()) as session:
        _, secret = create_token(
            session,
            name="t",
            role="county_admin",
            expires_in=timedelta(days=1),
            now=utcnow() - timedelta(days=2),
        )
    response = client.get("/api/v1/terminals", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_using_a_token_records_when_even_if_the_request_fails(
    app: Flask, client: FlaskClient
) -> None:
    from traceability.models import ApiToken

    with app.app_context(), session_scope(get_engine()) as session:
        record, secret = create_token(session, name="t", role="county_admin")
    token_id = record.id
    headers = {"Authorization": f"Bearer {secret}"}

    def last_used() -> object:
        with app.app_context(), session_scope(get_engine()) as session:
            return session.get(ApiToken, token_id).last_used_at  # type: ignore[union-attr]

    assert last_used() is None
    assert client.get("/api/v1/terminals", headers=headers).status_code == 200
    assert last_used() is not None
    with app.app_context(), session_scope(get_engine()) as session:
        session.get(ApiToken, token_id).last_used_at = None  # type: ignore[union-attr]
    # a write request that is refused (and rolled back) still counts as a use
    refused = client.post("/api/v1/terminals", json={}, headers=headers)
    assert 400 <= refused.status_code < 500
    assert last_used() is not None


def test_a_supervisor_token_needs_its_townships(app: Flask) -> None:
    import pytest

    from traceability.errors import ValidationFailed

    with app.app_context(), session_scope(get_engine()) as session, pytest.raises(ValidationFailed):
        create_token(session, name="t", role="township_supervisor")


def test_a_supervisor_token_covers_only_townships_that_exist(app: Flask, demo: dict) -> None:
    """A village's id, the county's or a number naming nothing would give a token whose
    lists and record pages disagree (or that fails on every use): refused when created."""
    import pytest

    from traceability.errors import ValidationFailed
    from traceability.models import Region, RegionLevel

    with app.app_context(), session_scope(get_engine()) as session:
        regions = session.exec(select(Region)).all()
        township = next(r.id or 0 for r in regions if r.level == RegionLevel.TOWNSHIP)
        village = next(r.id or 0 for r in regions if r.level == RegionLevel.VILLAGE)
        for wrong in ([village], [township, 10**23], [township, 999_999], [0]):
            with pytest.raises(ValidationFailed, match="乡镇编号须存在"):
                create_token(session, name="t", role="township_supervisor", township_ids=wrong)
        record, _ = create_token(
            session, name="t", role="township_supervisor", township_ids=[township]
        )
        assert record.township_ids == [township]


def test_the_token_form_refuses_a_township_that_does_not_exist(app: Flask, demo: dict) -> None:
    client = app.test_client()
    assert _login(client, "qinghe-demo-2026") == 302
    token = form_csrf(client, "/admin/tokens/new")
    response = client.post(
        "/admin/tokens/new",
        data={
            "csrf_token": token, "name": "t", "role": "township_supervisor",
            "township_ids": "99999999999999999999999", "days": "30",
        },
    )  # fmt: skip
    assert response.status_code == 422
    assert "乡镇编号须存在" in response.get_data(as_text=True)


def test_the_password_page_names_its_user_and_is_a_404_for_one_that_does_not_exist(
    app: Flask,
) -> None:
    admin_id = _admin(app)
    client = app.test_client()
    assert _login(client) == 302
    page = client.get(f"/admin/users/{admin_id}/password")
    assert page.status_code == 200 and "admin" in page.get_data(as_text=True)
    missing = client.get("/admin/users/12345/password")
    assert missing.status_code == 404
    assert "<form" not in missing.get_data(as_text=True)


def test_a_login_sent_without_a_password_is_sent_back_to_correct_as_a_422(
    app: Flask, client: FlaskClient
) -> None:
    _admin(app)
    token = form_csrf(client)
    response = client.post(
        "/login", data={"username": "admin", "password": "", "csrf_token": token}
    )
    assert response.status_code == 422
    assert 'name="password"' in response.get_data(as_text=True)  # the form, to fill in again
    assert client.get("/admin/users").status_code == 302  # not signed in
