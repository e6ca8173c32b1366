"""Signed-in web users (Flask-Login): who the current page request acts for.

The session stores only the user id; the user is read again on every request, so a
deactivated account or a changed role takes effect at once.
"""

from __future__ import annotations

from flask import request
from flask_login import AnonymousUserMixin, UserMixin, current_user

from traceability.accounts.service import principal_for
from traceability.auth.tokens import Principal, Unauthorized
from traceability.models import User


class SessionUser(UserMixin):
    """The Flask-Login view of a `User`, carrying its principal."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.principal: Principal = principal_for(user)

    def get_id(self) -> str:
        return str(self.user.id)


def load_user(user_id: str) -> SessionUser | None:
    from traceability.db import get_session

    if not user_id.isdecimal():
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.active:
        return None
    return SessionUser(user)


def session_principal() -> Principal | None:
    """The signed-in user's principal, or None for an anonymous request."""
    if isinstance(current_user, AnonymousUserMixin) or not current_user.is_authenticated:
        return None
    principal: Principal = current_user.principal
    return principal


def require_session_principal() -> Principal:
    principal = session_principal()
    if principal is None:
        raise Unauthorized("请先登录。", "Please sign in.", code="login_required")
    return principal


def remote_address() -> str:
    return (request.remote_addr or "unknown")[:64]
