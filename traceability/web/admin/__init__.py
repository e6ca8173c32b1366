"""Admin pages (Chinese first, ?lang=en for English): registry, users, tokens, audit log.

Every view starts with `signed_in()` and asks `traceability.auth.policy` before it
reads or writes; the views themselves hold no access rules.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import NumberRange

from traceability.auth import policy
from traceability.auth.sessions import session_principal
from traceability.auth.tokens import Principal
from traceability.errors import DomainError
from traceability.whole_numbers import MAX_INTEGER_ID

bp = Blueprint("admin", __name__, url_prefix="/admin")

RECORD_NUMBER = NumberRange(1, MAX_INTEGER_ID, message=_l("没有这个编号的记录。"))
"""A form field's record number (producer, batch, market…): a larger one names nothing and
fits no id column on PostgreSQL, so it is the field's own error on both databases."""


def form_status(form: FlaskForm, status: int = 200) -> int:
    """The status a form page answers with: a refusal's own `status`, else 422 while a field
    is to be corrected (nothing was stored), else 200.

    Scripts and tests tell "sent back to correct" from "shown" without parsing the page;
    every form page (admin, compliance, sign-in, kiosk setup) answers by this one rule.
    """
    return 422 if status == 200 and form.errors else status


def signed_in() -> Principal:
    """The signed-in user's principal; anonymous requests are sent to the login page."""
    principal = session_principal()
    if principal is None:
        abort(redirect(url_for("auth.login", next=request.full_path.rstrip("?"))))
    return principal


def error_text(exc: DomainError) -> str:
    return exc.message_en if str(get_locale()) == "en" else exc.message_zh


@bp.get("/")
def index() -> str:
    principal = signed_in()
    policy.require_general(principal, "admin.enter")
    return render_template("admin/index.html", principal=principal)


from traceability.web.admin import (  # noqa: E402,F401
    accounts,
    audit_log,
    certificates,
    kiosks,
    producers,
    products,
    recalls,
)
