"""Users and API tokens pages (county admins only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from traceability.accounts.service import (
    UserInput,
    create_user,
    get_user,
    list_users,
    set_password,
    set_user_active,
)
from traceability.auth import policy
from traceability.auth.tokens import ROLES, create_token, list_tokens, revoke_token
from traceability.db import get_session
from traceability.errors import DomainError
from traceability.translatable import N_
from traceability.web.admin import bp, signed_in
from traceability.web.forms import RECORD_NUMBER, error_text, form_status

ROLE_ZH = {
    "county_admin": N_("县级管理员"),
    "township_supervisor": N_("乡镇监管员"),
    "producer": N_("生产主体"),
    "market_inspector": N_("市场查验员"),
    "rapid_test_operator": N_("快检员"),
    "kiosk": N_("合格证终端"),
}


def _ids(text: str | None) -> list[int]:
    """The typed township numbers; a part that is not a number becomes 0, which names no
    township, so "3, x" is refused rather than silently read as "3"."""
    parts = [part.strip() for part in (text or "").replace("，", ",").split(",")]
    return [int(part) if part.isascii() and part.isdecimal() else 0 for part in parts if part]


class ScopeFields(FlaskForm):
    role = SelectField(_l("角色"), choices=[SelectChoice(r, _l(ROLE_ZH[r])) for r in ROLES])
    producer_id = IntegerField(_l("生产主体编号"), validators=[Optional(), RECORD_NUMBER])
    market_id = IntegerField(_l("市场编号"), validators=[Optional(), RECORD_NUMBER])
    township_ids = StringField(_l("乡镇编号（逗号分隔）"), validators=[Optional(), Length(max=200)])


class UserForm(ScopeFields):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=100)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(max=200)])


class TokenForm(ScopeFields):
    name = StringField(_l("用途"), validators=[DataRequired(), Length(max=100)])
    days = IntegerField(_l("有效天数"), default=365, validators=[NumberRange(1, 3650)])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(max=200)])


class ConfirmForm(FlaskForm):
    pass


@bp.get("/users")
def users() -> str:
    principal = signed_in()
    policy.require_general(principal, "user.manage")
    return render_template(
        "admin/users.html", users=list_users(get_session()), roles=ROLE_ZH, confirm=ConfirmForm()
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> Any:
    principal = signed_in()
    policy.require_general(principal, "user.manage")
    form = UserForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            create_user(
                session,
                UserInput(
                    username=form.username.data or "",
                    role=form.role.data or "",
                    password=form.password.data or "",
                    display_name=form.display_name.data or "",
                    producer_id=form.producer_id.data,
                    market_id=form.market_id.data,
                    township_ids=_ids(form.township_ids.data),
                ),
                principal=principal,
            )
            session.commit()
            return redirect(url_for("admin.users"))
        except DomainError as exc:
            session.rollback()
            form.username.errors = [*list(form.username.errors or []), error_text(exc)]
    return render_template("admin/user_form.html", form=form), form_status(form)


def _user_write(user_id: int, write: Any) -> Response:
    principal = signed_in()
    policy.require_general(principal, "user.manage")
    session = get_session()
    if ConfirmForm().validate_on_submit():
        try:
            write(session, principal)
            session.commit()
        except DomainError as exc:
            session.rollback()
            flash(error_text(exc), "error")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int) -> Response:
    return _user_write(user_id, lambda s, p: set_user_active(s, user_id, False, principal=p))


@bp.post("/users/<int:user_id>/activate")
def user_activate(user_id: int) -> Response:
    return _user_write(user_id, lambda s, p: set_user_active(s, user_id, True, principal=p))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def user_password(user_id: int) -> Any:
    principal = signed_in()
    policy.require_general(principal, "user.manage")
    # a user that does not exist is a 404 at once, not a form that fails only when sent
    user = get_user(get_session(), user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            set_password(session, user_id, form.password.data or "", principal=principal)
            session.commit()
            return redirect(url_for("admin.users"))
        except DomainError as exc:
            session.rollback()
            form.password.errors = [error_text(exc)]
    return render_template("admin/password_form.html", form=form, user=user), (form_status(form))


@bp.get("/tokens")
def tokens() -> str:
    principal = signed_in()
    policy.require_general(principal, "token.manage")
    return render_template(
        "admin/tokens.html", tokens=list_tokens(get_session()), roles=ROLE_ZH, confirm=ConfirmForm()
    )


@bp.route("/tokens/new", methods=["GET", "POST"])
def token_new() -> Any:
    principal = signed_in()
    policy.require_general(principal, "token.manage")
    form = TokenForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            record, secret = create_token(
                session,
                name=form.name.data or "",
                role=form.role.data or "",
                producer_id=form.producer_id.data,
                market_id=form.market_id.data,
                township_ids=_ids(form.township_ids.data),
                expires_in=timedelta(days=form.days.data or 365),
            )
            session.commit()
            # the secret is shown on this one response and never again
            return render_template(
                "admin/token_created.html", token=record, secret=secret, roles=ROLE_ZH
            )
        except DomainError as exc:
            session.rollback()
            form.name.errors = [*list(form.name.errors or []), error_text(exc)]
    return render_template("admin/token_form.html", form=form), form_status(form)


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int) -> Response:
    principal = signed_in()
    policy.require_general(principal, "token.manage")
    session = get_session()
    if ConfirmForm().validate_on_submit():
        try:
            revoke_token(session, token_id)
            session.commit()
        except DomainError as exc:
            session.rollback()
            flash(error_text(exc), "error")
    return redirect(url_for("admin.tokens"))
