"""Registry pages: producers (list, register, edit, suspend), their bases, bulk import."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.db import get_session
from traceability.errors import DomainError
from traceability.models import AreaUnit, Producer, ProducerStatus
from traceability.models.producer import PRODUCER_KIND_ZH
from traceability.models.producer_credential import ProducerCredential
from traceability.models.product import CATEGORY_ZH
from traceability.models.production_base import AREA_UNIT_ZH
from traceability.registry import importing
from traceability.registry.pii import IdNumberVault
from traceability.registry.products import products_of
from traceability.registry.scope import region_names
from traceability.registry.service import (
    BaseInput,
    ProducerInput,
    ProducerInvalid,
    bases_of,
    check_producer,
    get_base,
    get_producer,
    producers_visible_to,
    register_producer,
    require_placement,
    set_producer_status,
    update_base,
    update_producer,
)
from traceability.web.admin import bp, signed_in
from traceability.web.admin.kiosks import PinForm
from traceability.web.forms import error_text, form_status, show_beside_fields


class ProducerForm(FlaskForm):
    kind = SelectField(
        _l("主体类型"),
        choices=[SelectChoice(k.value, _l(label)) for k, label in PRODUCER_KIND_ZH.items()],
    )
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(_l("统一社会信用代码"), validators=[Optional(), Length(max=40)])
    id_number = StringField(_l("身份证号"), validators=[Optional(), Length(max=40)])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=30)])
    division_code = StringField(_l("行政区划代码"), validators=[Optional(), Length(max=20)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=300)])
    override_reason = TextAreaField(
        _l("校验放行原因（仅监管人员）"), validators=[Optional(), Length(max=300)]
    )

    def to_input(self) -> ProducerInput:
        return ProducerInput(
            kind=self.kind.data or "",
            name=self.name.data or "",
            uscc=self.uscc.data or "",
            id_number=self.id_number.data or "",
            contact_name=self.contact_name.data or "",
            phone=self.phone.data or "",
            division_code=self.division_code.data or "",
            address=self.address.data or "",
        )


class ReasonForm(FlaskForm):
    reason = StringField(_l("原因"), validators=[Optional(), Length(max=300)])


class BaseForm(FlaskForm):
    name = StringField(_l("基地名称"), validators=[DataRequired(), Length(max=200)])
    location = StringField(_l("位置"), validators=[Optional(), Length(max=300)])
    area = StringField(_l("面积"), validators=[Optional(), Length(max=20)])
    area_unit = SelectField(
        _l("单位"), choices=[SelectChoice(u.value, _l(label)) for u, label in AREA_UNIT_ZH.items()]
    )
    division_code = StringField(_l("行政区划代码"), validators=[Optional(), Length(max=20)])

    def to_input(self) -> BaseInput:
        return BaseInput(
            name=self.name.data or "",
            location=self.location.data or "",
            area=self.area.data or "",
            area_unit=self.area_unit.data or AreaUnit.MU.value,
            division_code=self.division_code.data or "",
        )


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV 或 XLSX 文件"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx"], _l("仅支持 CSV 或 XLSX"))],
    )


def _vault() -> IdNumberVault:
    return IdNumberVault.from_config(current_app.config)


@bp.get("/producers")
def producers() -> str:
    principal = signed_in()
    rows = producers_visible_to(
        get_session(),
        principal,
        search=request.args.get("q", ""),
        kind=request.args.get("kind", ""),
    )
    return render_template(
        "admin/producers.html",
        producers=rows,
        kinds=PRODUCER_KIND_ZH,
        principal=principal,
        places=region_names(get_session(), {p.region_id for p in rows}),
    )


def _save_producer(principal: Principal, form: ProducerForm, producer_id: int | None) -> Any:
    session = get_session()
    try:
        checked = check_producer(
            session,
            form.to_input(),
            override_reason=form.override_reason.data,
            may_override=policy.can(principal, "registry.override_check"),
        )
        require_placement(session, principal, checked.division_code, producer_id)
        if producer_id is None:
            producer = register_producer(session, checked, _vault(), principal=principal)
        else:
            producer = update_producer(
                session,
                producer_id,
                checked,
                _vault(),
                keep_id_number=not (form.id_number.data or "").strip(),
                principal=principal,
            )
        session.commit()
    except ProducerInvalid as exc:
        session.rollback()
        show_beside_fields(form, exc.problems)
        return None
    except DomainError as exc:
        session.rollback()
        if exc.status == 403:
            raise
        form.name.errors = [*list(form.name.errors or []), error_text(exc)]
        return None
    return redirect(url_for("admin.producer", producer_id=producer.id))


@bp.route("/producers/new", methods=["GET", "POST"])
def producer_new() -> Any:
    principal = signed_in()
    policy.require_general(principal, "producer.create")
    form = ProducerForm()
    if form.validate_on_submit():
        done = _save_producer(principal, form, None)
        if done is not None:
            return done
    return render_template("admin/producer_form.html", form=form, producer=None), (
        form_status(form)
    )


@bp.get("/producers/<int:producer_id>")
def producer(producer_id: int) -> str:
    principal = signed_in()
    session = get_session()
    policy.require(principal, "producer.read", producer_id)
    record = get_producer(session, producer_id)
    return render_template(
        "admin/producer.html",
        producer=record,
        bases=bases_of(session, producer_id),
        kinds=PRODUCER_KIND_ZH,
        units=AREA_UNIT_ZH,
        reason_form=ReasonForm(),
        may_edit=policy.allowed(principal, "producer.edit", producer_id),
        may_suspend=policy.allowed(principal, "producer.suspend", producer_id),
        may_recall=policy.allowed(principal, "recall.create", producer_id),
        may_manage_bases=policy.allowed(principal, "base.manage", producer_id),
        products=products_of(session, producer_id),
        categories=CATEGORY_ZH,
        may_manage_products=policy.allowed(principal, "product.manage", producer_id),
        may_set_pin=policy.allowed(principal, "producer.card", producer_id),
        credential=session.get(ProducerCredential, producer_id),
        pin_form=PinForm(),
    )


@bp.route("/producers/<int:producer_id>/edit", methods=["GET", "POST"])
def producer_edit(producer_id: int) -> Any:
    principal = signed_in()
    policy.require(principal, "producer.edit", producer_id)
    record = get_producer(get_session(), producer_id)
    form = ProducerForm(obj=record)
    if request.method == "GET":
        form.id_number.data = ""
    if form.validate_on_submit():
        done = _save_producer(principal, form, producer_id)
        if done is not None:
            return done
    return render_template("admin/producer_form.html", form=form, producer=record), (
        form_status(form)
    )


def _status(producer_id: int, status: ProducerStatus) -> Response:
    principal = signed_in()
    policy.require(principal, "producer.suspend", producer_id)
    form = ReasonForm()
    session = get_session()
    if form.validate_on_submit():
        try:
            set_producer_status(
                session, producer_id, status, form.reason.data or "", principal=principal
            )
            session.commit()
        except DomainError as exc:
            session.rollback()
            flash(error_text(exc), "error")
    return redirect(url_for("admin.producer", producer_id=producer_id))


@bp.post("/producers/<int:producer_id>/suspend")
def producer_suspend(producer_id: int) -> Response:
    return _status(producer_id, ProducerStatus.SUSPENDED)


@bp.post("/producers/<int:producer_id>/reactivate")
def producer_reactivate(producer_id: int) -> Response:
    return _status(producer_id, ProducerStatus.ACTIVE)


@bp.route("/producers/<int:producer_id>/bases/new", methods=["GET", "POST"])
def base_new(producer_id: int) -> Any:
    from traceability.registry.service import add_base

    principal = signed_in()
    policy.require(principal, "base.manage", producer_id)
    record = get_producer(get_session(), producer_id)
    form = BaseForm()
    if form.validate_on_submit() and _save_base(
        form, lambda s: add_base(s, producer_id, form.to_input(), principal=principal)
    ):
        return redirect(url_for("admin.producer", producer_id=producer_id))
    return render_template("admin/base_form.html", form=form, producer=record, base=None), (
        form_status(form)
    )


@bp.route("/bases/<int:base_id>/edit", methods=["GET", "POST"])
def base_edit(base_id: int) -> Any:
    principal = signed_in()
    session = get_session()
    base = get_base(session, base_id)
    policy.require(principal, "base.manage", base.producer_id)
    form = BaseForm(obj=base)
    if form.validate_on_submit() and _save_base(
        form, lambda s: update_base(s, base_id, form.to_input(), principal=principal)
    ):
        return redirect(url_for("admin.producer", producer_id=base.producer_id))
    record = get_producer(session, base.producer_id)
    return render_template("admin/base_form.html", form=form, producer=record, base=base), (
        form_status(form)
    )


def _save_base(form: BaseForm, write: Any) -> bool:
    session = get_session()
    try:
        write(session)
        session.commit()
        return True
    except ProducerInvalid as exc:
        session.rollback()
        show_beside_fields(form, exc.problems)
    return False


@bp.route("/producers/import", methods=["GET", "POST"])
def producer_import() -> Any:
    principal = signed_in()
    policy.require_general(principal, "producer.import")
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        session = get_session()
        try:
            _, rows = importing.read_upload(upload.stream, upload.filename or "")
            report = importing.import_producers(
                session,
                rows,
                _vault(),
                principal=principal,
                township_allowed=lambda township: policy.in_townships(principal, township),
                source=(upload.filename or "")[:64],
            )
            session.commit()
        except DomainError as exc:
            session.rollback()
            form.file.errors = [*list(form.file.errors or []), error_text(exc)]
    return render_template(
        "admin/import.html", form=form, report=report, columns=importing.COLUMNS,
        status_zh=importing.STATUS_ZH, producer_type=Producer, language=str(get_locale()),
    )  # fmt: skip
