"""The audit log page: read-only, newest first, filterable. There is no edit or delete."""

from __future__ import annotations

from flask import render_template, request

from traceability.audit import list_entries
from traceability.auth import policy
from traceability.db import get_session
from traceability.web.admin import bp, signed_in


@bp.get("/audit")
def audit() -> str:
    principal = signed_in()
    policy.require_general(principal, "audit.read")
    before = request.args.get("before", "")
    entries = list_entries(
        get_session(),
        action=request.args.get("action", "").strip()[:64] or None,
        object_type=request.args.get("object_type", "").strip()[:40] or None,
        object_id=request.args.get("object_id", "").strip()[:64] or None,
        actor=request.args.get("actor", "").strip()[:100] or None,
        before_id=int(before) if before.isdigit() else None,
    )
    return render_template("admin/audit.html", entries=entries, args=request.args)
