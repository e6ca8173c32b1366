"""JSON API v1: issuing, revocation and verification for integrations and kiosks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from traceability import audit, keystore
from traceability.auth import policy
from traceability.auth.sessions import session_principal
from traceability.auth.tokens import Principal, Unauthorized, authenticate_token, mark_used
from traceability.codes import code_url, gs1_digital_link_url
from traceability.db import SAFE_METHODS, after_session, get_session
from traceability.errors import ValidationFailed
from traceability.extensions import csrf, limiter
from traceability.issuing.idempotency import answer_once
from traceability.issuing.revocation import find_certificate, revoke_certificate
from traceability.issuing.service import IssuedCertificate, IssueRequest, issue_certificate
from traceability.web.lookup_views import lookup_answer, public_limit
from traceability.web.request_guard import NotAnObject

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def current_principal() -> Principal:
    """The caller: a bearer token, or else a signed-in web user (the intake page).

    A session rides on a cookie the browser sends by itself, so a request that writes
    with one must also carry the page's CSRF token (`X-CSRFToken`); tokens need none.
    """
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        signed_in = session_principal()
        if signed_in is None:
            raise Unauthorized(
                "缺少令牌：请在 Authorization 头中提供 Bearer 令牌，或先登录。",
                "Missing token: send `Authorization: Bearer <token>`, or sign in.",
                code="missing_token",
            )
        if request.method not in SAFE_METHODS:
            csrf.protect()
        audit.bind_principal(signed_in)
        return signed_in
    principal = authenticate_token(get_session(), header[7:].strip())
    after_session(lambda engine: mark_used(engine, principal))
    audit.bind_principal(principal)  # writes in this request are attributed to the token
    return principal


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise NotAnObject()  # the request guard's answer for the same mistake, word for word
    return body


def _int(body: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(
            f"字段 {name} 必须是整数。", f"Field {name} must be an integer.", code="invalid_field"
        )
    return value


def _str_list(body: dict[str, Any], name: str, *, limit: int = 100) -> list[str]:
    value = body.get(name, [])
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) for v in value)
        or len(value) > limit
    ):
        raise ValidationFailed(
            f"字段 {name} 必须是字符串列表。",
            f"Field {name} must be a list of strings.",
            code="invalid_field",
        )
    return value


def issue_request_from(body: dict[str, Any], channel: str) -> IssueRequest:
    for name in ("product_name", "unit", "origin"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            raise ValidationFailed(
                f"字段 {name} 必须是文本。", f"Field {name} must be text.", code="invalid_field"
            )
    quantity = body.get("quantity")
    if quantity is not None and (
        isinstance(quantity, bool) or not isinstance(quantity, (int, float, str))
    ):
        raise ValidationFailed(
            "数量必须是数字。", "Quantity must be a number.", code="invalid_quantity"
        )
    producer_id = _int(body, "producer_id")
    if producer_id is None:
        raise ValidationFailed(
            "缺少 producer_id。", "producer_id is required.", code="producer_required"
        )
    return IssueRequest(
        producer_id=producer_id,
        batch_id=_int(body, "batch_id"),
        product_id=_int(body, "product_id"),
        product_name=body.get("product_name"),
        quantity=quantity,
        unit=body.get("unit"),
        origin_text=body.get("origin"),
        item_count=_int(body, "items", 1) or 0,
        basis=_str_list(body, "basis"),
        upstream=_str_list(body, "upstream"),
        signature_confirmed=body.get("signature_confirmed") is True,
        channel=channel,
        gtin_form=body.get("gtin_form") is True,
        test_ids=_int_list(body, "tests"),
        roll_codes=_str_list(body, "roll_codes", limit=10_000),
    )


def _int_list(body: dict[str, Any], name: str) -> list[int]:
    value = body.get(name, [])
    if (
        not isinstance(value, list)
        or len(value) > 100
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ValidationFailed(
            f"字段 {name} 必须是整数列表。",
            f"Field {name} must be a list of integers.",
            code="invalid_field",
        )
    return value


def issued_body(issued: IssuedCertificate, base_url: str) -> dict[str, Any]:
    cert = issued.certificate
    items = []
    for seq, code in enumerate(issued.codes, start=1):
        entry = {"seq": seq, "serial": code.serial, "url": code_url(base_url, code)}
        if cert.gtin:
            entry["gs1_url"] = gs1_digital_link_url(base_url, cert.gtin, code)
        items.append(entry)
    record = cert.snapshot()
    record.update({"id": cert.id, "group": cert.group_code, "status": cert.status, "kid": cert.kid})
    return {"certificate": record, "items": items}


@bp.post("/certificates")
def create_certificate() -> tuple[Response, int]:
    principal = current_principal()
    body = json_body()
    issue = issue_request_from(body, channel="api")
    policy.require(principal, "certificate.issue", issue.producer_id)
    session = get_session()
    config = current_app.config

    def work() -> tuple[int, dict[str, Any]]:
        key = keystore.active_signing_key(session, config["SIGNING_KEY_PASSPHRASE"])
        issued = issue_certificate(session, issue, key)
        return 201, issued_body(issued, config["PUBLIC_BASE_URL"])

    status, answer, replayed = answer_once(
        session,
        principal=principal.key,
        key=request.headers.get("Idempotency-Key"),
        body=body,
        work=work,
    )
    response = jsonify(answer)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response, status


@bp.get("/certificates/<number>")
def get_certificate(number: str) -> Response:
    principal = current_principal()
    cert = find_certificate(get_session(), number)
    policy.require(principal, "certificate.read", cert.producer_id)
    record = cert.snapshot()
    record.update(
        {
            "id": cert.id,
            "group": cert.group_code,
            "status": cert.status,
            "revoke_reason": cert.revoke_reason,
        }
    )
    return jsonify({"certificate": record})


@bp.post("/certificates/<number>/revoke")
def revoke(number: str) -> Response:
    principal = current_principal()
    session = get_session()
    cert = find_certificate(session, number)
    policy.require(principal, "certificate.revoke", cert.producer_id)
    body = json_body()
    reason = body.get("reason")
    changed = revoke_certificate(
        session, cert, reason if isinstance(reason, str) else "", actor=principal.key
    )
    session.commit()
    return jsonify({"number": cert.number, "status": cert.status, "changed": changed})


@bp.post("/verify")
@limiter.limit(public_limit)
def verify() -> tuple[Response, int]:
    """Raw scanned text in (JSON {"text": …} or a text/plain body), verdict out."""
    text: Any
    if request.is_json:
        body = request.get_json(silent=True)
        text = body.get("text") if isinstance(body, dict) else None
    else:
        text = request.get_data(as_text=True)
    if not isinstance(text, str) or not text:
        raise ValidationFailed(
            "请提供扫码得到的文本。",
            'Send the scanned text as {"text": "…"} or as a text/plain body.',
            code="text_required",
        )
    return lookup_answer(text, record_scan=False)


@bp.post("/rolls")
def create_roll() -> tuple[Response, int]:
    """Pre-printed code rolls (印刷激活): codes to print now and activate at issue."""
    from traceability.issuing.rolls import create_roll as make_roll

    principal = current_principal()
    body = json_body()
    count = _int(body, "count", 0) or 0
    producer_id = _int(body, "producer_id")
    policy.require(principal, "roll.create", producer_id)
    if count > 10_000:
        raise ValidationFailed(
            "一次最多 10000 个；更多请用 traceability rolls create。",
            "At most 10,000 per request; use `traceability rolls create` for more.",
            code="invalid_roll_size",
        )
    session = get_session()
    key = keystore.active_signing_key(session, current_app.config["SIGNING_KEY_PASSPHRASE"])
    created = make_roll(session, count, key, producer_id=producer_id)
    session.commit()
    base = current_app.config["PUBLIC_BASE_URL"]
    items = [{"serial": c.serial, "url": code_url(base, c)} for c in created.codes]
    return jsonify(
        {"group": created.roll.group_code, "size": created.roll.size, "items": items}
    ), 201
