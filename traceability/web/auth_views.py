"""Sign in and out of the web pages (sessions, CSRF-protected forms, lockout)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from traceability import audit
from traceability.accounts.service import LoginRefused, authenticate, principal_for
from traceability.auth import policy
from traceability.auth.sessions import SessionUser, load_user, remote_address, session_principal
from traceability.db import get_session
from traceability.extensions import limiter, login_manager
from traceability.models import User
from traceability.web.forms import error_text, form_status

bp = Blueprint("auth", __name__)
login_manager.user_loader(load_user)


@bp.before_app_request
def _audit_context() -> None:
    """Writes made while handling this request are attributed to its caller and address."""
    g.audit_token = audit._context.set(audit.AuditContext(None, remote_address(), ""))
    principal = (
        session_principal()
        if _may_be_signed_in() and not request.path.startswith("/api/")
        else None
    )
    if principal is not None:
        audit.bind_principal(principal)


def _may_be_signed_in() -> bool:
    """Without a session or remember-me cookie nobody is signed in: skip loading the user."""
    cookies = request.cookies
    config = current_app.config
    return config["SESSION_COOKIE_NAME"] in cookies or (
        config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies
    )


@bp.teardown_app_request
def _reset_audit_context(_exc: BaseException | None) -> None:
    token = g.pop("audit_token", None)
    if token is not None:
        audit._context.reset(token)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None, user: User) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.netloc and not parts.scheme:
            return target
    if policy.can(principal_for(user), "admin.enter"):
        return url_for("admin.index")
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login() -> Any:
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        session = get_session()
        config = current_app.config
        try:
            user = authenticate(
                session,
                form.username.data or "",
                form.password.data or "",
                address=remote_address(),
                max_failures=int(config["LOGIN_MAX_FAILURES"]),
                lockout=timedelta(minutes=int(config["LOGIN_LOCKOUT_MINUTES"])),
            )
        except LoginRefused as exc:
            session.commit()  # the failure counters must stick
            error, status = error_text(exc), exc.status
        else:
            session.commit()
            login_user(SessionUser(user))
            return redirect(_safe_next(request.args.get("next"), user))
    return render_template("auth/login.html", form=form, error=error), form_status(form, status)


class LogoutForm(FlaskForm):
    pass


@bp.post("/logout")
def logout() -> Response:
    if LogoutForm().validate_on_submit():
        logout_user()
    return redirect(url_for("auth.login"))
