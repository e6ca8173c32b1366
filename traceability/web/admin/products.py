"""Product pages: a producer's products (add, edit, deactivate, reactivate), on its page."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from traceability.auth import policy
from traceability.db import get_session
from traceability.errors import DomainError
from traceability.issuing.service import UNITS
from traceability.models.product import CATEGORY_ZH
from traceability.registry.products import (
    NAME_MAX,
    ProductInput,
    ProductInvalid,
    ProductTaken,
    add_product,
    get_product,
    set_product_active,
    update_product,
)
from traceability.registry.service import get_producer
from traceability.web.admin import bp, signed_in
from traceability.web.forms import error_text, form_status, show_beside_fields


class ProductForm(FlaskForm):
    name = StringField(_l("产品名称"), validators=[DataRequired(), Length(max=NAME_MAX)])
    category = SelectField(
        _l("产品类别"),
        choices=[SelectChoice(c.value, _l(label)) for c, label in CATEGORY_ZH.items()],
    )
    default_unit = SelectField(
        _l("默认单位"), choices=[SelectChoice(u, u) for u in UNITS], default="kg"
    )
    gtin = StringField(_l("商品条码（GTIN，选填）"), validators=[Optional(), Length(max=20)])

    def to_input(self) -> ProductInput:
        return ProductInput(
            name=self.name.data or "",
            category=self.category.data or "",
            default_unit=self.default_unit.data or "",
            gtin=self.gtin.data or "",
        )


def _save(form: ProductForm, write: Any) -> bool:
    """Run the domain write; its refusals go next to the fields they are about."""
    session = get_session()
    try:
        write(session)
        session.commit()
        return True
    except ProductInvalid as exc:
        session.rollback()
        show_beside_fields(form, exc.problems)
    except ProductTaken as exc:  # a name or a GTIN already in use
        session.rollback()
        target = getattr(form, exc.field)
        target.errors = [*list(target.errors or []), error_text(exc)]
    except DomainError as exc:
        session.rollback()
        if exc.status == 403:
            raise
        form.name.errors = [*list(form.name.errors or []), error_text(exc)]
    return False


@bp.route("/producers/<int:producer_id>/products/new", methods=["GET", "POST"])
def product_new(producer_id: int) -> Any:
    principal = signed_in()
    policy.require(principal, "product.manage", producer_id)
    record = get_producer(get_session(), producer_id)
    form = ProductForm()
    if form.validate_on_submit() and _save(
        form, lambda s: add_product(s, producer_id, form.to_input(), principal=principal)
    ):
        return redirect(url_for("admin.producer", producer_id=producer_id))
    return render_template("admin/product_form.html", form=form, producer=record, product=None), (
        form_status(form)
    )


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_edit(product_id: int) -> Any:
    principal = signed_in()
    session = get_session()
    product = get_product(session, product_id)
    policy.require(principal, "product.manage", product.producer_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit() and _save(
        form, lambda s: update_product(s, product_id, form.to_input(), principal=principal)
    ):
        return redirect(url_for("admin.producer", producer_id=product.producer_id))
    record = get_producer(session, product.producer_id)
    return render_template(
        "admin/product_form.html", form=form, producer=record, product=product
    ), form_status(form)


class ConfirmForm(FlaskForm):
    """A button's form: only its CSRF token."""


def _set_active(product_id: int, active: bool) -> Response:
    principal = signed_in()
    session = get_session()
    product = get_product(session, product_id)
    producer_id = product.producer_id
    policy.require(principal, "product.manage", producer_id)
    if ConfirmForm().validate_on_submit():
        try:
            set_product_active(session, product_id, active, principal=principal)
            session.commit()
        except DomainError as exc:  # reactivating beside an active product of that name or GTIN
            session.rollback()
            flash(error_text(exc), "error")
    return redirect(url_for("admin.producer", producer_id=producer_id))


@bp.post("/products/<int:product_id>/deactivate")
def product_deactivate(product_id: int) -> Response:
    return _set_active(product_id, False)


@bp.post("/products/<int:product_id>/reactivate")
def product_reactivate(product_id: int) -> Response:
    return _set_active(product_id, True)
