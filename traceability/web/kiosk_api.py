"""Kiosk endpoints: the agent's device API, and the admin side of terminals and print jobs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from traceability.auth import policy
from traceability.db import get_session
from traceability.errors import ValidationFailed
from traceability.extensions import csrf, limiter
from traceability.issuing.revocation import find_certificate
from traceability.kiosk import jobs, terminals
from traceability.models import Certificate, Terminal
from traceability.web.api import current_principal, json_body

bp = Blueprint("kiosk_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def current_terminal() -> Terminal:
    header = request.headers.get("Authorization", "")
    credential = header[7:].strip() if header.lower().startswith("bearer ") else ""
    terminal, _ = terminals.authenticate_device(get_session(), credential)
    return terminal


def _text(body: dict[str, Any], name: str, default: str = "") -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise ValidationFailed(
            f"字段 {name} 必须是文本。", f"Field {name} must be text.", code="invalid_field"
        )
    return value


def _reasons(body: dict[str, Any], name: str = "reasons") -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(
            f"字段 {name} 必须是文本列表。",
            f"Field {name} must be a list of text.",
            code="invalid_field",
        )
    return value


# --- the agent ------------------------------------------------------------------------


@bp.post("/kiosk/enrol")
@limiter.limit("10 per minute")
def enrol() -> tuple[Response, int]:
    session = get_session()
    terminal, credential = terminals.enrol(session, _text(json_body(), "code"))
    session.commit()
    return jsonify(
        {
            "terminal_id": terminal.id,
            "credential": credential,
            "driver": terminal.driver,
            "certificate_layout": terminal.certificate_layout,
            "item_layout": terminal.item_layout,
            "dpi": terminal.dpi,
        }
    ), 201


@bp.post("/kiosk/heartbeat")
def heartbeat() -> Response:
    terminal = current_terminal()
    body = json_body()
    printer = body.get("printer") if isinstance(body.get("printer"), dict) else {}
    assert isinstance(printer, dict)
    terminals.heartbeat(
        get_session(),
        terminal,
        agent_version=_text(body, "agent_version"),
        printer_state=_text(printer, "state", "unknown"),
        printer_reasons=_reasons(printer),
    )
    get_session().commit()
    # The record's printer settings: an agent started without --driver follows them.
    return jsonify(
        {
            "ok": True,
            "terminal_id": terminal.id,
            "driver": terminal.driver,
            "certificate_layout": terminal.certificate_layout,
            "item_layout": terminal.item_layout,
            "dpi": terminal.dpi,
        }
    )


@bp.post("/kiosk/jobs/claim")
def claim() -> Response | tuple[str, int]:
    terminal = current_terminal()
    session = get_session()
    job = jobs.claim_next(session, terminal)
    if job is None:
        session.commit()
        return "", 204
    payload = jobs.job_payload(session, job, terminal, current_app.config["PUBLIC_BASE_URL"])
    session.commit()
    return jsonify(payload)


@bp.post("/kiosk/jobs/<job_id>/wait")
def wait(job_id: str) -> Response:
    terminal = current_terminal()
    body = json_body()
    job = jobs.report_waiting(
        get_session(), terminal, job_id, _text(body, "claim_token"), _reasons(body)
    )
    get_session().commit()
    return jsonify({"id": job.id, "state": job.state, "waiting_reasons": job.waiting_reasons})


@bp.post("/kiosk/jobs/<job_id>/ack")
def ack(job_id: str) -> Response:
    terminal = current_terminal()
    body = json_body()
    detail = body.get("detail") if isinstance(body.get("detail"), dict) else {}
    job = jobs.acknowledge(
        get_session(),
        terminal,
        job_id,
        _text(body, "claim_token"),
        _text(body, "outcome"),
        error=_text(body, "error") or None,
        detail=detail,
    )
    get_session().commit()
    return jsonify({"id": job.id, "state": job.state, "outcome": job.outcome})


# --- people ----------------------------------------------------------------------------


def _township(body: dict[str, Any], default: int | None) -> int | None:
    township = body.get("township_id", default)
    if township is not None and (isinstance(township, bool) or not isinstance(township, int)):
        raise ValidationFailed("township_id 必须是整数。", "township_id must be an integer.")
    return township


def _dpi(body: dict[str, Any], default: int) -> int:
    dpi = body.get("dpi", default)
    if isinstance(dpi, bool) or not isinstance(dpi, int):
        raise ValidationFailed(
            "dpi 必须是整数。",
            "dpi must be an integer.",
            code="invalid_field",
            details={"field": "dpi"},
        )
    return dpi


@bp.post("/terminals")
def register() -> tuple[Response, int]:
    principal = current_principal()
    body = json_body()
    township = _township(body, None)
    dpi = _dpi(body, 203)
    policy.require_region(principal, "terminal.manage", township)
    session = get_session()
    registered = terminals.register_terminal(
        session,
        name=_text(body, "name"),
        township_id=township,
        site=_text(body, "site"),
        printer_model=_text(body, "printer_model"),
        driver=_text(body, "driver", "tspl"),
        certificate_layout=_text(body, "certificate_layout", "certificate-80x60"),
        item_layout=_text(body, "item_layout", "item-40x30"),
        dpi=dpi,
    )
    session.commit()
    return jsonify({"id": registered.terminal.id, "enrolment_code": registered.enrolment_code}), 201


@bp.get("/terminals")
def health() -> Response:
    principal = current_principal()
    policy.require_region(principal, "terminal.view", None)
    rows = terminals.terminal_health(get_session(), policy.township_scope(principal))
    return jsonify(
        [
            {
                "id": row.terminal.id,
                "name": row.terminal.name,
                "site": row.terminal.site,
                "online": row.online,
                "down_since": row.down_since.isoformat() if row.down_since else None,
                "printer_state": row.terminal.printer_state,
                "printer_reasons": row.terminal.printer_reasons,
                "agent_version": row.terminal.agent_version,
            }
            for row in rows
        ]
    )


@bp.post("/terminals/<int:terminal_id>/revoke")
def revoke_terminal(terminal_id: int) -> Response:
    principal = current_principal()
    policy.require_region(principal, "terminal.manage", None)
    session = get_session()
    terminal = session.get(Terminal, terminal_id)
    if terminal is not None:  # a county-level kiosk (no township) is the county's to revoke
        policy.require_township(principal, "terminal.manage", terminal.township_id)
    terminals.revoke_terminal(session, terminal_id)
    session.commit()
    return jsonify({"id": terminal_id, "revoked": True})


@bp.patch("/terminals/<int:terminal_id>")
def update_terminal(terminal_id: int) -> Response:
    """Change a kiosk's name, place, printer or layouts; fields left out keep their values.
    The kiosk keeps its device credential (nothing to re-enrol)."""
    principal = current_principal()
    policy.require_region(principal, "terminal.manage", None)
    body = json_body()
    session = get_session()
    terminal = session.get(Terminal, terminal_id)
    if terminal is not None:  # another township's kiosk is refused before it is said revoked
        policy.require_township(principal, "terminal.manage", terminal.township_id)
    terminal = terminals.editable_terminal(session, terminal_id)
    township = _township(body, terminal.township_id)
    policy.require_township(principal, "terminal.manage", township)
    terminal = terminals.update_terminal(
        session,
        terminal_id,
        name=_text(body, "name", terminal.name),
        township_id=township,
        site=_text(body, "site", terminal.site),
        printer_model=_text(body, "printer_model", terminal.printer_model),
        driver=_text(body, "driver", terminal.driver),
        certificate_layout=_text(body, "certificate_layout", terminal.certificate_layout),
        item_layout=_text(body, "item_layout", terminal.item_layout),
        dpi=_dpi(body, terminal.dpi),
    )
    session.commit()
    return jsonify({field: getattr(terminal, field) for field in ("id", *terminals.EDITABLE)})


@bp.post("/terminals/<int:terminal_id>/jobs")
def enqueue(terminal_id: int) -> tuple[Response, int]:
    principal = current_principal()
    body = json_body()
    session = get_session()
    certificate = find_certificate(session, _text(body, "certificate"))
    policy.require(principal, "certificate.print", certificate.producer_id)
    first = body.get("first_item", 1)
    last = body.get("last_item")
    if not isinstance(first, int) or (last is not None and not isinstance(last, int)):
        raise ValidationFailed("标签范围必须是整数。", "The label range must be integers.")
    job = jobs.enqueue_certificate(
        session,
        terminal_id,
        certificate,
        include_certificate=body.get("include_certificate", True) is not False,
        first_item=first,
        last_item=last,
        requested_by=principal.key,
    )
    session.commit()
    return jsonify({"id": job.id, "state": job.state}), 201


@bp.get("/print-jobs/<job_id>")
def job_status(job_id: str) -> Response:
    principal = current_principal()
    session = get_session()
    job = jobs.get_job(session, job_id)
    certificate = find_certificate_by_id(job.certificate_id)
    policy.require(principal, "certificate.print", certificate.producer_id)
    return jsonify(
        {
            "id": job.id,
            "state": job.state,
            "kind": job.kind,
            "outcome": job.outcome,
            "waiting_reasons": job.waiting_reasons,
            "error": job.error,
        }
    )


@bp.post("/print-jobs/<job_id>/reprint")
def reprint(job_id: str) -> tuple[Response, int]:
    principal = current_principal()
    session = get_session()
    original = jobs.get_job(session, job_id)
    policy.require(
        principal, "certificate.print", find_certificate_by_id(original.certificate_id).producer_id
    )
    job = jobs.request_reprint(
        session, job_id, _text(json_body(), "reason"), requested_by=principal.key
    )
    session.commit()
    return jsonify({"id": job.id, "kind": job.kind, "reprint_of": job.reprint_of}), 201


@bp.post("/print-jobs/<job_id>/cancel")
def cancel(job_id: str) -> Response:
    principal = current_principal()
    session = get_session()
    job = jobs.get_job(session, job_id)
    policy.require(
        principal, "certificate.print", find_certificate_by_id(job.certificate_id).producer_id
    )
    jobs.cancel(session, job_id)
    session.commit()
    return jsonify({"id": job.id, "state": job.state})


def find_certificate_by_id(certificate_id: int) -> Certificate:
    certificate = get_session().get(Certificate, certificate_id)
    assert certificate is not None
    return certificate
