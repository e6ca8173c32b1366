"""Kiosk pages for supervisors: which kiosks are down and since when; registering one and
changing it (its printer, layouts, name or place); producer cards."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import col, select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.db import get_session
from traceability.errors import DomainError, NotFound
from traceability.kiosk import terminals
from traceability.labels import CERTIFICATE_LAYOUTS, DPIS, ITEM_LAYOUTS
from traceability.models import Producer, Region, RegionLevel, Terminal
from traceability.models.producer_credential import ProducerCredential
from traceability.web.admin import bp, signed_in
from traceability.web.forms import error_text


class TerminalForm(FlaskForm):
    name = StringField(_l("终端名称"), validators=[DataRequired(), Length(max=100)])
    township_id = SelectField(_l("乡镇"), coerce=int)
    site = StringField(_l("放置地点"), validators=[Optional(), Length(max=200)])
    printer_model = StringField(_l("打印机型号"), validators=[Optional(), Length(max=100)])
    driver = SelectField(
        _l("打印机语言"), choices=[SelectChoice(d, d.upper()) for d in terminals.DRIVERS]
    )
    certificate_layout = SelectField(
        _l("合格证版式"),
        choices=[SelectChoice(name, name) for name in CERTIFICATE_LAYOUTS],
        default="certificate-80x60",
    )
    item_layout = SelectField(
        _l("单品标签版式"),
        choices=[SelectChoice(name, name) for name in ITEM_LAYOUTS],
        default="item-40x30",
    )
    dpi = SelectField(
        _l("打印精度（dpi）"),
        choices=[SelectChoice(dpi, str(dpi)) for dpi in DPIS],
        coerce=int,
        default=203,
    )


class PinForm(FlaskForm):
    pin = PasswordField(_l("新 PIN（4–8 位数字）"), validators=[DataRequired()])


COUNTY_LEVEL = 0  # the form's "no township": a kiosk at the county office


def _township_choices(principal: Principal, current: Region | None = None) -> list[SelectChoice]:
    """The form's township list; a county admin may also keep a kiosk at county level
    (none), which saving must not turn into the first township in the list."""
    choices = [SelectChoice(r.id or 0, f"{r.name} {r.code}") for r in _townships(principal)]
    if current is not None and all(c.value != current.id for c in choices):
        choices.insert(0, SelectChoice(current.id or 0, f"{current.name} {current.code}"))
    if policy.township_scope(principal) is None:
        choices.append(SelectChoice(COUNTY_LEVEL, _l("县级（不属于任何乡镇）")))
    return choices


def _townships(principal: Principal) -> list[Region]:
    """The townships `principal` may register a kiosk in: its own, or all for the county."""
    query = select(Region).where(
        Region.level == RegionLevel.TOWNSHIP, col(Region.retired).is_(False)
    )
    scope = policy.township_scope(principal)
    if scope is not None:
        query = query.where(col(Region.id).in_(scope or {-1}))
    return list(get_session().exec(query.order_by(col(Region.code))).all())


@bp.get("/kiosks")
def kiosks() -> str:
    principal = signed_in()
    policy.require_region(principal, "terminal.view", None)
    session = get_session()
    rows = terminals.terminal_health(session, policy.township_scope(principal))
    townships = {r.id: r.name for r in session.exec(Region.__table__.select()).all()}  # type: ignore[attr-defined]
    return render_template(
        "admin/kiosks.html",
        rows=rows,
        townships=townships,
        may_register=policy.can_region(principal, "terminal.manage"),
        may_edit=lambda terminal: _may_manage(principal, terminal),
    )


def _may_manage(principal: Principal, terminal: Terminal) -> bool:
    """A county admin manages every kiosk; a supervisor only those in its townships."""
    return policy.can_region(principal, "terminal.manage") and policy.in_townships(
        principal, terminal.township_id
    )


@bp.route("/kiosks/new", methods=["GET", "POST"])
def kiosk_new() -> Any:
    """Register a kiosk and show its one-time enrolment code, as `POST /api/v1/terminals`
    does: township staff set a kiosk up from this page, not with curl."""
    principal = signed_in()
    policy.require_region(principal, "terminal.manage", None)
    form = TerminalForm()
    form.township_id.choices = _township_choices(principal)
    status = 200
    if form.validate_on_submit():
        township = form.township_id.data or None
        policy.require_region(principal, "terminal.manage", township)
        session = get_session()
        try:
            registered = terminals.register_terminal(session, **_terminal_fields(form, "tspl"))
            session.commit()
        except DomainError as exc:
            session.rollback()
            _refusal_beside_its_field(form, exc)
            status = 422
        else:
            return render_template(
                "admin/kiosk_registered.html",
                terminal=registered.terminal,
                code=registered.enrolment_code,
                server=current_app.config["PUBLIC_BASE_URL"],
            )
    elif request.method == "POST":
        status = 422
    return render_template("admin/kiosk_form.html", form=form), status


def _terminal_fields(form: TerminalForm, default_driver: str) -> dict[str, Any]:
    """The kiosk form's values as `register_terminal` and `update_terminal` take them."""
    return {
        "name": form.name.data or "",
        "township_id": form.township_id.data or None,
        "site": form.site.data or "",
        "printer_model": form.printer_model.data or "",
        "driver": form.driver.data or default_driver,
        "certificate_layout": form.certificate_layout.data or "",
        "item_layout": form.item_layout.data or "",
        "dpi": form.dpi.data,
    }


def _refusal_beside_its_field(form: TerminalForm, exc: DomainError) -> None:
    target = getattr(form, str(exc.details.get("field", "name")), form.name)
    target.errors = [*list(target.errors or []), error_text(exc)]


@bp.route("/kiosks/<int:terminal_id>/edit", methods=["GET", "POST"])
def kiosk_edit(terminal_id: int) -> Any:
    """Change a registered kiosk (another printer, other layouts, a new name or place), as
    `PATCH /api/v1/terminals/<id>` does; the kiosk keeps its credential, nothing to re-enrol."""
    principal = signed_in()
    policy.require_region(principal, "terminal.manage", None)
    session = get_session()
    terminal = session.get(Terminal, terminal_id)
    if terminal is not None:  # another township's kiosk is refused before it is said revoked
        policy.require_township(principal, "terminal.manage", terminal.township_id)
    terminal = terminals.editable_terminal(session, terminal_id)
    form = TerminalForm(obj=terminal if request.method == "GET" else None)
    current = session.get(Region, terminal.township_id) if terminal.township_id else None
    form.township_id.choices = _township_choices(principal, current)
    if request.method == "GET" and terminal.township_id is None:
        form.township_id.data = COUNTY_LEVEL
    status = 200
    if form.validate_on_submit():
        township = form.township_id.data or None
        policy.require_township(principal, "terminal.manage", township)
        try:
            terminals.update_terminal(session, terminal_id, **_terminal_fields(form, ""))
            session.commit()
        except DomainError as exc:
            session.rollback()
            _refusal_beside_its_field(form, exc)
            status = 422
        else:
            flash(_l("已保存。下一张合格证起按新的设置打印。"), "ok")
            return redirect(url_for("admin.kiosks"))
    elif request.method == "POST":
        status = 422
    return render_template("admin/kiosk_form.html", form=form, terminal=terminal), status


@bp.post("/producers/<int:producer_id>/pin")
def producer_pin(producer_id: int) -> WerkzeugResponse:
    """Set or reset a producer's kiosk PIN at the township office (it also lifts a lockout),
    as `traceability kiosk set-pin` does; the card to print is then on the producer's page."""
    from traceability.kiosk.signin import set_pin

    principal = signed_in()
    policy.require(principal, "producer.card", producer_id)
    form = PinForm()
    session = get_session()
    if form.validate_on_submit():
        try:
            set_pin(session, producer_id, (form.pin.data or "").strip())
            session.commit()
            flash(_l("PIN 已设置，请打印登录卡交给生产主体。"), "ok")
        except DomainError as exc:
            session.rollback()
            flash(error_text(exc), "error")
    else:
        flash(_l("请填写 4–8 位数字的 PIN。"), "error")
    return redirect(url_for("admin.producer", producer_id=producer_id) + "#kiosk-card")


@bp.get("/producers/<int:producer_id>/card.png")
def producer_card(producer_id: int) -> Response:
    """The producer's kiosk sign-in card, for the township office to print."""
    from traceability.kiosk.card import render_card_png

    principal = signed_in()
    session = get_session()
    producer = session.get(Producer, producer_id)
    if producer is None:
        raise NotFound("找不到该生产主体。", "No such producer.")
    policy.require(principal, "producer.card", producer.id)
    credential = session.get(ProducerCredential, producer_id)
    if credential is None:
        raise NotFound(
            "该生产主体还没有设置智能机密码：请先在生产主体页面设置 PIN。",
            "This producer has no kiosk PIN yet: set one on the producer's page first.",
        )
    png = render_card_png(producer, credential, current_app.config["PUBLIC_BASE_URL"])
    return Response(png, mimetype="image/png")
