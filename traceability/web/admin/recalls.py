"""Recalls on the staff pages: start one for a batch or a producer's dates, follow the markets.

Until these pages a township supervisor could recall only through the API with a token
(which the supervisor could not even make) or a command on the server: the one action
that takes unsafe produce off the shelves had no button.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import col, select
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from traceability.auth import policy
from traceability.compliance.api import visible_producers
from traceability.db import begin_write, get_session
from traceability.errors import DomainError, NotFound
from traceability.intake import recall
from traceability.intake.recall_listing import alerts_of, list_recalls
from traceability.models import Batch, Market, Producer
from traceability.web.admin import bp, signed_in
from traceability.web.forms import RECORD_NUMBER, error_text, form_status
from traceability.whole_numbers import MAX_INTEGER_ID


class RecallForm(FlaskForm):
    scope = RadioField(
        _l("召回范围"),
        choices=[
            SelectChoice("batch", _l("一个批次")),
            SelectChoice("producer", _l("一个生产主体某段日期开具的全部合格证")),
        ],
        default="batch",
    )
    batch_id = IntegerField(_l("批次编号"), validators=[Optional(), RECORD_NUMBER])
    producer_id = IntegerField(_l("生产主体编号"), validators=[Optional(), RECORD_NUMBER])
    date_from = DateField(_l("开具日期自"), validators=[Optional()])
    date_to = DateField(_l("开具日期至"), validators=[Optional()])
    reason = TextAreaField(_l("召回原因"), validators=[DataRequired(), Length(max=300)])
    confirm = BooleanField(
        _l("我已核实：召回将撤销这些合格证，且不能恢复；收货市场会收到提醒。"),
        validators=[DataRequired()],
    )


@bp.get("/recalls")
def recalls() -> str:
    principal = signed_in()
    policy.require_general(principal, "recall.list")
    session = get_session()
    rows = list_recalls(session, visible_producers(session, principal))
    return render_template("admin/recalls.html", rows=rows)


def _target_producer(form: RecallForm) -> int:
    """The producer whose certificates the form would revoke (refused if it names none)."""
    if form.scope.data == "batch":
        if form.batch_id.data is None:
            form.batch_id.errors = [_l("请填写批次编号。")]
            raise _Incomplete()
        batch = get_session().get(Batch, form.batch_id.data)
        if batch is None:
            raise NotFound("找不到该批次。", "No such batch.", code="batch_not_found")
        return batch.producer_id
    missing = [f for f in (form.producer_id, form.date_from, form.date_to) if f.data is None]
    for field in missing:
        field.errors = [_l("按生产主体召回时，请填写生产主体编号和日期范围。")]
    if missing:
        raise _Incomplete()
    return int(form.producer_id.data or 0)


class _Incomplete(Exception):
    """The form lacks what its scope needs; the fields say what."""


@bp.route("/recalls/new", methods=["GET", "POST"])
def recall_new() -> Response | tuple[str, int]:
    principal = signed_in()
    policy.require_general(principal, "recall.list")
    form = RecallForm()
    # a refusal answers the API's status for the same request: 403 another township's
    # goods, 404 no such batch or producer, 409 recalled already, 422 a rule not met
    refused: int | None = None
    if request.method == "GET":
        # from a batch's or a producer's page: the scope filled in
        for name in ("batch_id", "producer_id"):
            value = request.args.get(name, "")
            if value.isascii() and value.isdecimal() and 0 < int(value) <= MAX_INTEGER_ID:
                getattr(form, name).data = int(value)
                form.scope.data = name.removesuffix("_id")
    elif form.validate_on_submit():
        session = get_session()
        try:
            producer_id = _target_producer(form)
            policy.require(principal, "recall.create", producer_id)
            begin_write(session)
            if form.scope.data == "batch":
                made = recall.recall_batch(
                    session, form.batch_id.data or 0, form.reason.data or "", actor=principal.key
                )
            else:
                assert form.date_from.data is not None and form.date_to.data is not None
                made = recall.recall_producer(
                    session,
                    producer_id,
                    form.date_from.data,
                    form.date_to.data,
                    form.reason.data or "",
                    actor=principal.key,
                )
            session.commit()
            flash(_l("已召回：撤销 %(n)s 张合格证，已提醒收货市场。", n=made.certificates), "ok")
            return redirect(url_for("admin.recall_page", recall_id=made.id))
        except _Incomplete:
            session.rollback()
        except DomainError as exc:
            session.rollback()
            refused = exc.status
            form.reason.errors = [*list(form.reason.errors or []), error_text(exc)]
    status = form_status(form, refused or 200)
    return render_template("admin/recall_form.html", form=form), status


@bp.get("/recalls/<int:recall_id>")
def recall_page(recall_id: int) -> str:
    principal = signed_in()
    session = get_session()
    made = recall.get_recall(session, recall_id)
    policy.require(principal, "recall.create", made.producer_id)
    lines = recall.recall_report(session, made)
    alerts = alerts_of(session, recall_id)
    markets = {
        m.id: m for m in session.exec(select(Market).where(col(Market.id).in_(alerts or [-1])))
    }
    producer = session.get(Producer, made.producer_id) if made.producer_id else None
    batch = session.get(Batch, made.batch_id) if made.batch_id else None
    return render_template(
        "admin/recall.html",
        recall=made,
        lines=lines,
        alerts=alerts,
        markets=markets,
        producer=producer,
        batch=batch,
    )
