"""Admin pages (Chinese first, ?lang=en for English): registry, users, tokens, audit log.

Every view starts with `signed_in()` and asks `traceability.auth.policy` before it
reads or writes; the views themselves hold no access rules.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from traceability.auth import policy
from traceability.auth.sessions import session_principal
from traceability.auth.tokens import Principal

bp = Blueprint("admin", __name__, url_prefix="/admin")


def signed_in() -> Principal:
    """The signed-in user's principal; anonymous requests are sent to the login page."""
    principal = session_principal()
    if principal is None:
        abort(redirect(url_for("auth.login", next=request.full_path.rstrip("?"))))
    return principal


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
