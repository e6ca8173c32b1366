"""Issued certificates for staff and producers: find one, read it, revoke it with a reason.

Until these pages, revoking a certificate issued by mistake took the API or a command;
a producer signed in on the web could not even list its own.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.compliance.api import visible_producers
from traceability.db import get_session
from traceability.errors import DomainError, ValidationFailed
from traceability.issuing.listing import list_certificates
from traceability.issuing.revocation import find_certificate, revoke_certificate
from traceability.models import Producer
from traceability.web.admin import bp, signed_in
from traceability.web.forms import error_text

REASON_MISSING = ValidationFailed(
    "请填写撤销原因（不超过 300 字）。",
    "Give a reason for the revocation (300 characters at most).",
)


class RevokeForm(FlaskForm):
    reason = StringField(_l("撤销原因"), validators=[DataRequired(), Length(max=300)])


def _scope(principal: Principal) -> set[int] | None:
    """The producers whose certificates `principal` may list (None: every producer)."""
    if principal.role == "producer" and principal.producer_id is not None:
        return {principal.producer_id}
    policy.require_general(principal, "certificate.list")
    return visible_producers(get_session(), principal)


@bp.get("/certificates")
def certificates() -> str:
    principal = signed_in()
    before = request.args.get("before", "")
    page = list_certificates(
        get_session(),
        producer_ids=_scope(principal),
        search=request.args.get("q", ""),
        status=request.args.get("status", ""),
        before_id=int(before) if before.isdecimal() else None,
    )
    return render_template("admin/certificates.html", page=page, args=request.args)


@bp.get("/certificates/<number>")
def certificate(number: str) -> str:
    principal = signed_in()
    session = get_session()
    record = find_certificate(session, number)
    policy.require(principal, "certificate.read", record.producer_id)
    return render_template(
        "admin/certificate.html",
        certificate=record,
        facts=record.snapshot(),
        producer=session.get(Producer, record.producer_id),
        form=RevokeForm(),
        may_revoke=policy.allowed(principal, "certificate.revoke", record.producer_id),
    )


@bp.post("/certificates/<number>/revoke")
def certificate_revoke(number: str) -> Response:
    """Revoke with a reason, as `POST /api/v1/certificates/<number>/revoke` does: every code
    of it reads 已撤销 at once, online and in the next offline list."""
    principal = signed_in()
    session = get_session()
    record = find_certificate(session, number)
    policy.require(principal, "certificate.revoke", record.producer_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(error_text(REASON_MISSING), "error")
    else:
        try:
            revoke_certificate(session, record, form.reason.data or "", actor=principal.key)
            session.commit()
        except DomainError as exc:
            session.rollback()
            flash(error_text(exc), "error")
    return redirect(url_for("admin.certificate", number=record.number))
