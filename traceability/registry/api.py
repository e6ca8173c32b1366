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
from traceability.models import Producer, ProductionBase, Region
from traceability.registry.pii import IdNumberVault
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
