"""`/healthz`: is the database reachable, at the newest schema revision, and can the service
sign (its active key opens with the configured passphrase)?"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlmodel import Session

from traceability import keystore, migrate
from traceability.db import get_engine
from traceability.extensions import limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    head = migrate.head_revision()
    try:
        current = migrate.current_revision(get_engine())
        database = "ok"
    except Exception as exc:  # the point of a health check is to report, not raise
        current, database = None, f"error: {exc.__class__.__name__}"
    at_head = current is not None and current == head
    signing_key = _signing_key() if database == "ok" and at_head else "unknown"
    status = "ok" if database == "ok" and at_head and signing_key == "ok" else "degraded"
    body = {
        "status": status,
        "database": database,
        "revision": current,
        "head": head,
        "at_head": at_head,
        "signing_key": signing_key,
    }
    return jsonify(body), 200 if status == "ok" else 503


def _signing_key() -> str:
    """ "ok", "missing" (nothing can be issued or signed: run `traceability init`) or
    "unusable" (the passphrase does not open it). Start-up refuses an unusable key; a
    database restored or swapped under a running service shows only here. The key opened
    once is kept per process, so a probe every few seconds costs one SELECT."""
    try:
        with Session(get_engine()) as session:
            record = keystore.check_active_key(
                session, current_app.config["SIGNING_KEY_PASSPHRASE"]
            )
    except keystore.SigningKeyUnusable:
        return "unusable"
    except Exception as exc:  # report, not raise
        return f"error: {exc.__class__.__name__}"
    return "ok" if record is not None else "missing"
