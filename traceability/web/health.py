"""`/healthz`: is the database reachable and at the newest schema revision?"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from traceability import migrate
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
    status = "ok" if database == "ok" and at_head else "degraded"
    body = {
        "status": status,
        "database": database,
        "revision": current,
        "head": head,
        "at_head": at_head,
    }
    return jsonify(body), 200 if status == "ok" else 503
