"""The producer registry as JSON (`/api/v1/producers`), for county and provincial systems.

Same rules as the registry pages: supervisors see and register producers in their own
townships only, ID-card numbers leave the service masked, and a new producer goes
through `check_producer` (USCC and ID checksums, duplicates) before `register_producer`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlmodel import col, select

from traceability.auth import policy
from traceability.db import get_session
from traceability.errors import ValidationFailed
from traceability.extensions import csrf
from traceability.models import Producer, Product, ProductionBase, Region
from traceability.registry.pii import IdNumberVault
from traceability.registry.products import (
    ProductInput,
    add_product,
    get_product,
    products_of,
    set_product_active,
    update_product,
)
from traceability.registry.service import (
    ProducerInput,
    bases_of,
    check_producer,
    get_producer,
    producers_visible_to,
    region_for_code,
    register_producer,
    require_placement,
)
from traceability.web.api import current_principal, json_body
from traceability.whole_numbers import whole_number

bp = Blueprint("registry_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_LIMIT = 1000
_TEXT_FIELDS = ("kind", "name", "uscc", "id_number", "contact_name", "phone", "division_code")


def producer_dict(producer: Producer, region: Region | None = None) -> dict[str, Any]:
    """A producer as the API shows it: the ID-card number masked, never decrypted."""
    return {
        "id": producer.id,
        "kind": producer.kind,
        "name": producer.name,
        "uscc": producer.uscc,
        "id_number_masked": producer.id_number_masked,
        "contact_name": producer.contact_name,
        "phone": producer.phone,
        "division_code": producer.division_code,
        "region": {"id": region.id, "code": region.code, "name": region.name} if region else None,
        "address": producer.address,
        "status": producer.status,
        "status_reason": producer.status_reason,
        "created_at": producer.created_at.isoformat(),
        "updated_at": producer.updated_at.isoformat(),
    }


def base_dict(base: ProductionBase) -> dict[str, Any]:
    return {
        "id": base.id,
        "name": base.name,
        "location": base.location,
        "area": str(base.area) if base.area is not None else None,
        "area_unit": base.area_unit,
        "region_id": base.region_id,
        "active": base.active,
    }


def product_dict(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "producer_id": product.producer_id,
        "name": product.name,
        "category": product.category,
        "default_unit": product.default_unit,
        "gtin": product.gtin,
        "active": product.active,
    }


def _limit() -> int:
    return whole_number(
        request.args.get("limit"),
        low=1,
        high=MAX_LIMIT,
        default=200,
        field_zh="limit ",
        field_en="limit",
        code="invalid_limit",
    )


@bp.get("/producers")
def list_registry() -> Response:
    """`?q=` (name, USCC or phone), `?kind=`, `?limit=` (default 200): in the caller's scope."""
    principal = current_principal()
    policy.require_general(principal, "producer.list")  # 403 before any complaint about ?limit=
    session = get_session()
    rows = producers_visible_to(
        session,
        principal,
        search=request.args.get("q", ""),
        kind=request.args.get("kind", ""),
        limit=_limit(),
    )
    regions = {r.id: r for r in _regions(session, {p.region_id for p in rows})}
    return jsonify({"producers": [producer_dict(p, regions.get(p.region_id)) for p in rows]})


def _regions(session: Any, ids: set[int | None]) -> list[Region]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return []
    return list(session.exec(select(Region).where(col(Region.id).in_(wanted))).all())


@bp.get("/producers/<int:producer_id>")
def read_registry_entry(producer_id: int) -> Response:
    principal = current_principal()
    policy.require(principal, "producer.read", producer_id)
    session = get_session()
    producer = get_producer(session, producer_id)
    region = session.get(Region, producer.region_id) if producer.region_id else None
    body = producer_dict(producer, region)
    body["bases"] = [base_dict(b) for b in bases_of(session, producer_id)]
    body["products"] = [product_dict(p) for p in products_of(session, producer_id)]
    return jsonify({"producer": body})


@bp.post("/producers")
def register() -> tuple[Response, int]:
    """Register one producer; 422 `producer_invalid` lists each field's problem (zh/en)."""
    principal = current_principal()
    policy.require_general(principal, "producer.create")
    body = json_body()
    for name in (*_TEXT_FIELDS, "address", "override_reason"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise ValidationFailed(
                f"{name} 须为文本。", f"`{name}` must be a string.", code="invalid_field"
            )
    session = get_session()
    code = (body.get("division_code") or "").strip()
    if region_for_code(session, code) is not None:
        # a place outside the caller's townships: 403 before any field is judged
        require_placement(session, principal, code, None)
    checked = check_producer(
        session,
        ProducerInput(
            **{name: body.get(name) or "" for name in _TEXT_FIELDS},
            address=body.get("address") or "",
        ),
        override_reason=body.get("override_reason") or "",
        may_override=policy.can(principal, "registry.override_check"),
    )
    require_placement(session, principal, checked.division_code, None)
    vault = IdNumberVault.from_config(current_app.config)
    producer = register_producer(session, checked, vault, principal=principal)
    session.commit()
    region = session.get(Region, producer.region_id) if producer.region_id else None
    return jsonify({"producer": producer_dict(producer, region)}), 201


# --- products (产品): what the kiosk's grid offers ------------------------------------------

_PRODUCT_FIELDS = ("name", "category", "default_unit", "gtin")


def _product_input(body: dict[str, Any], current: Product | None = None) -> ProductInput:
    """The body's fields over the product's current ones (a PATCH names only what changes)."""
    for name in _PRODUCT_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise ValidationFailed(
                f"{name} 须为文本。", f"`{name}` must be a string.", code="invalid_field"
            )
    values = {
        "name": current.name if current else "",
        "category": current.category if current else "",
        "default_unit": current.default_unit if current else "kg",
        "gtin": (current.gtin or "") if current else "",
    }
    for name in _PRODUCT_FIELDS:
        if name in body:
            values[name] = body[name] or ""
    return ProductInput(**values)


@bp.get("/producers/<int:producer_id>/products")
def list_products(producer_id: int) -> Response:
    """The producer's products, active and deactivated (`active` tells which)."""
    principal = current_principal()
    policy.require(principal, "producer.read", producer_id)
    session = get_session()
    get_producer(session, producer_id)
    return jsonify({"products": [product_dict(p) for p in products_of(session, producer_id)]})


@bp.post("/producers/<int:producer_id>/products")
def create_product(producer_id: int) -> tuple[Response, int]:
    """Add a product: `name`, `category`, `default_unit` (default kg), optional `gtin`;
    422 `product_invalid` lists each field's problem, 409 `product_duplicate` a name
    already in use, 409 `gtin_in_use` a GTIN already on another active product."""
    principal = current_principal()
    policy.require(principal, "product.manage", producer_id)
    data = _product_input(json_body())
    session = get_session()
    product = add_product(session, producer_id, data, principal=principal)
    session.commit()
    return jsonify({"product": product_dict(product)}), 201


@bp.get("/products/<int:product_id>")
def read_product(product_id: int) -> Response:
    principal = current_principal()
    product = get_product(get_session(), product_id)
    policy.require(principal, "producer.read", product.producer_id)
    return jsonify({"product": product_dict(product)})


@bp.patch("/products/<int:product_id>")
def edit_product(product_id: int) -> Response:
    """Change the fields the body names; the others keep their values."""
    principal = current_principal()
    session = get_session()
    product = get_product(session, product_id)
    policy.require(principal, "product.manage", product.producer_id)
    update_product(session, product_id, _product_input(json_body(), product), principal=principal)
    session.commit()
    return jsonify({"product": product_dict(product)})


def _set_active(product_id: int, active: bool) -> Response:
    principal = current_principal()
    session = get_session()
    product = get_product(session, product_id)
    policy.require(principal, "product.manage", product.producer_id)
    set_product_active(session, product_id, active, principal=principal)
    session.commit()
    return jsonify({"product": product_dict(product)})


@bp.post("/products/<int:product_id>/deactivate")
def deactivate_product(product_id: int) -> Response:
    """No longer offered at the kiosk and no new certificates; batches and certificates stay."""
    return _set_active(product_id, False)


@bp.post("/products/<int:product_id>/reactivate")
def reactivate_product(product_id: int) -> Response:
    return _set_active(product_id, True)
