"""The audit log page: read-only, newest first, filterable, exportable. No edit or delete."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import render_template, request
from flask_babel import get_locale, gettext
from werkzeug.wrappers import Response

from traceability.audit import list_entries, record_audit
from traceability.auth import policy
from traceability.beijing_time import SECONDS, day_start, format_beijing
from traceability.db import get_session
from traceability.errors import ValidationFailed
from traceability.models import AuditEntry
from traceability.models.types import utcnow
from traceability.spreadsheets import XLSX, table_to_csv, table_to_xlsx
from traceability.supervision.overview import parse_day
from traceability.web.admin import bp, signed_in
from traceability.web.admin.accounts import ROLE_ZH

EXPORT_LIMIT = 50_000  # newest first; narrow the filters for older entries
# (Chinese, English) headers: the file follows the page's language, as the overview's does
EXPORT_COLUMNS = (
    ("时间（北京时间）", "Time (Beijing)"),
    ("操作人", "Actor"),
    ("操作人姓名", "Actor name"),
    ("角色", "Role"),
    ("操作", "Action"),
    ("对象类型", "Object type"),
    ("对象编号", "Object id"),
    ("原因", "Reason"),
    ("之前", "Before"),
    ("之后", "After"),
    ("来源地址", "Address"),
    ("终端", "Terminal"),
)


def _filters() -> dict[str, Any]:
    """The page's filters; `from`/`to` are Beijing days, both inclusive."""
    before = request.args.get("before", "")
    first, last = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    since = day_start(parse_day(first, "from", "起始日期")) if first else None
    until = day_start(parse_day(last, "to", "截止日期") + timedelta(days=1)) if last else None
    return {
        "since": since,
        "until": until,
        "action": request.args.get("action", "").strip()[:64] or None,
        "object_type": request.args.get("object_type", "").strip()[:40] or None,
        "object_id": request.args.get("object_id", "").strip()[:64] or None,
        "actor": request.args.get("actor", "").strip()[:100] or None,
        "before_id": int(before) if before.isascii() and before.isdecimal() else None,
    }


@bp.get("/audit")
def audit() -> str:
    principal = signed_in()
    policy.require_general(principal, "audit.read")
    entries = list_entries(get_session(), **_filters())
    return render_template(
        "admin/audit.html", entries=entries, args=request.args, export_limit=EXPORT_LIMIT
    )


def _json(value: dict[str, Any] | None) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


def export_row(entry: AuditEntry) -> list[Any]:
    """One entry as a line of the file; the role by its name in the page's language (the
    action and object type stay the codes the log and its filters use)."""
    return [
        format_beijing(entry.at, SECONDS),
        entry.actor,
        entry.actor_name,
        gettext(ROLE_ZH[entry.role]) if entry.role in ROLE_ZH else entry.role,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.reason,
        _json(entry.before),
        _json(entry.after),
        entry.remote_addr,
        entry.terminal,
    ]


@bp.get("/audit/export")
def audit_export() -> Response:
    """The filtered log as CSV or XLSX, for an inspection or an archive.

    The export is itself an audited action: the log holds addresses and before/after
    values, so who took a copy, and of what, is on record.
    """
    principal = signed_in()
    policy.require_general(principal, "audit.read")
    kind = request.args.get("format", "xlsx")
    if kind not in ("csv", "xlsx"):
        raise ValidationFailed(
            "导出格式只能是 csv 或 xlsx。", "format must be csv or xlsx.", code="invalid_format"
        )
    session = get_session()
    filters = _filters()
    entries = list_entries(session, **filters, limit=EXPORT_LIMIT)
    shown = {k: v for k, v in filters.items() if v is not None}
    record_audit(
        session,
        principal,
        "audit.export",
        object_type="audit_entry",
        after={"format": kind, "filters": shown, "rows": len(entries)},
    )
    session.commit()
    rows = (export_row(e) for e in entries)
    stamp = format_beijing(utcnow(), "%Y%m%d-%H%M")
    english = str(get_locale()) == "en"
    columns = tuple(en if english else zh for zh, en in EXPORT_COLUMNS)
    if kind == "csv":
        data, mimetype = table_to_csv(columns, rows), "text/csv"
    else:
        sheet = "Audit log" if english else "审计日志"
        data, mimetype = table_to_xlsx(sheet, columns, rows), XLSX
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{kind}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
