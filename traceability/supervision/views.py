"""The supervisors' overview page and its export (Chinese first, ?lang=en for English).

`?township=<id>` opens a township's row into its producers (`county`: the county's own
row); the export follows the same parameter, so either table goes into the report.
`/supervision/sampling` is the week's risk-based sampling plan for the same townships;
`/supervision/cloned-codes` lists their codes scanned more than one package would be, and
`/supervision/scans?code=` shows one code's scans place by place and day by day.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from werkzeug.wrappers import Response

from traceability.audit import record_audit
from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.db import get_session
from traceability.errors import DomainError, ValidationFailed
from traceability.issuing.service import today_in_china
from traceability.lookup.service import PLACES_PLAUSIBLE, SCANS_PLAUSIBLE
from traceability.models.types import utcnow
from traceability.spreadsheets import XLSX, table_to_csv, tables_to_xlsx
from traceability.supervision import cloned_codes as suspects
from traceability.supervision import sampling as plans
from traceability.supervision import scan_history
from traceability.supervision.overview import (
    Overview,
    export_header,
    export_rows,
    parse_period,
    producer_overview,
    township_not_found,
    township_overview,
)
from traceability.supervision.trends import trend_header, trend_rows
from traceability.web.admin import signed_in

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


def _overview(principal: Principal) -> Overview:
    policy.require_general(principal, "compliance.supervise")
    now = utcnow()
    period = parse_period(request.args.get("from"), request.args.get("to"), today_in_china(now))
    scope = policy.township_scope(principal)
    township = request.args.get("township")
    if township is None:
        return township_overview(get_session(), scope, period, now=now)
    if township == "county":
        return producer_overview(get_session(), None, scope, period, now=now)
    if not township.isdecimal():  # not isdigit: "²" is a digit int() refuses
        raise township_not_found()
    return producer_overview(get_session(), int(township), scope, period, now=now)


@bp.get("/")
def overview() -> str:
    principal = signed_in()
    return render_template(
        "supervision/overview.html",
        overview=_overview(principal),
        credit_link=policy.can(principal, "compliance.supervise"),  # what /compliance/credit asks
    )


@bp.get("/export")
def export() -> Response:
    """The same table as CSV or XLSX, for the monthly report to the county bureau.

    The XLSX holds the table and, on a second sheet, its trend; a CSV holds one table, the
    trend with `view=trend`.
    """
    principal = signed_in()
    kind = request.args.get("format", "xlsx")
    if kind not in ("csv", "xlsx"):
        raise ValidationFailed(
            "导出格式只能是 csv 或 xlsx。", "format must be csv or xlsx.", code="invalid_format"
        )
    view = request.args.get("view", "table")
    if view not in ("table", "trend"):
        raise ValidationFailed(
            "导出内容只能是 table（本表）或 trend（趋势）。",
            "view must be table or trend.",
            code="invalid_view",
        )
    overview = _overview(principal)
    assert overview.trend is not None
    english = str(get_locale()) == "en"
    header = export_header(overview, english=english)
    rows = export_rows(overview, english=english)
    trend_lines = (trend_header(english=english), trend_rows(overview.trend, english=english))
    period = overview.period
    session = get_session()
    exported = {"format": kind, "from": str(period.first), "to": str(period.last)}
    if overview.per_producer:
        exported["township"] = request.args.get("township", "")
    if view == "trend":
        exported["view"] = view
    record_audit(
        session,
        principal,
        "supervision.export",
        object_type="township_overview",
        after=exported,
    )
    session.commit()
    title = f"{period.first}_{period.last}"
    what = "townships"
    if overview.township is not None:
        what = f"producers-{overview.township.code}"
    elif overview.county_level:
        what = "producers-county"
    if kind == "csv" and view == "trend":
        what += "-trend"
        data, mimetype = table_to_csv(*trend_lines), "text/csv"
    elif kind == "csv":
        data, mimetype = table_to_csv(header, rows), "text/csv"
    else:
        trend_title = ("Trend " if english else "趋势 ") + title
        sheets = [(title, header, rows), (trend_title, *trend_lines)]
        data, mimetype = tables_to_xlsx(sheets), XLSX
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{what}-{period.first}-{period.last}.{kind}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _sampling_plan(principal: Principal) -> plans.SamplingPlan:
    policy.require_general(principal, "compliance.supervise")
    week = plans.parse_week(request.args.get("week"), today_in_china(utcnow()))
    per_township = plans.parse_per_township(request.args.get("per_township"))
    scope = policy.township_scope(principal)
    return plans.sampling_plan(get_session(), scope, week, per_township)


@bp.get("/sampling")
def sampling() -> str:
    """The week's sampling plan (抽检计划): per township, whom to sample, in order."""
    plan = _sampling_plan(signed_in())
    return render_template(
        "supervision/sampling.html",
        plan=plan,
        english=str(get_locale()) == "en",
        weights=plans.WEIGHTS,
    )


@bp.get("/sampling/export")
def sampling_export() -> Response:
    """The plan as CSV or XLSX, to hand to the samplers; written to the audit log."""
    principal = signed_in()
    kind = request.args.get("format", "xlsx")
    if kind not in ("csv", "xlsx"):
        raise ValidationFailed(
            "导出格式只能是 csv 或 xlsx。", "format must be csv or xlsx.", code="invalid_format"
        )
    plan = _sampling_plan(principal)
    english = str(get_locale()) == "en"
    header = plans.export_header(english=english)
    rows = plans.export_rows(plan, english=english)
    session = get_session()
    record_audit(
        session,
        principal,
        "supervision.export",
        object_type="sampling_plan",
        after={"format": kind, "week": str(plan.week.monday), "per_township": plan.per_township},
    )
    session.commit()
    if kind == "csv":
        data, mimetype = table_to_csv(header, rows), "text/csv"
    else:
        title = ("Sampling plan " if english else "抽检计划 ") + plan.week.label
        data, mimetype = tables_to_xlsx([(title, header, rows)]), XLSX
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="sampling-plan-{plan.week.label}.{kind}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/cloned-codes")
def cloned_codes() -> str:
    """Codes of the supervisor's townships that may have been copied (疑似被复制的追溯码)."""
    principal = signed_in()
    policy.require_general(principal, "compliance.supervise")
    days = suspects.parse_days(request.args.get("days"))
    scope = policy.township_scope(principal)
    return render_template(
        "supervision/cloned_codes.html",
        found=suspects.suspect_codes(get_session(), scope, days, now=utcnow()),
        scans=SCANS_PLAUSIBLE,
        places=PLACES_PLAUSIBLE,
        max_days=suspects.MAX_DAYS,
    )


@bp.get("/scans")
def code_scans() -> str | tuple[str, int]:
    """One code's scans (查询记录): when and from how many places, to judge a copied label.

    A code that is mistyped, unknown or another township's is answered on the same page,
    under the form, so the supervisor can correct it there (with the refusal's status).
    """
    principal = signed_in()
    policy.require_general(principal, "compliance.supervise")
    text = request.args.get("code")
    page = "supervision/code_scans.html"
    if text is None:  # the empty form, opened from the overview
        return render_template(page, history=None, code="", refused=None)
    try:
        serial = scan_history.serial_of(text)
        scope = policy.township_scope(principal)
        history = scan_history.scan_history(get_session(), scope, serial)
    except DomainError as refused:
        code = text.strip()[: scan_history.LONGEST_INPUT]
        return render_template(page, history=None, code=code, refused=refused), refused.status
    return render_template(
        page,
        history=history,
        code=serial,
        refused=None,
        scans=SCANS_PLAUSIBLE,
        places=PLACES_PLAUSIBLE,
        days_read=scan_history.EVENTS_READ,
    )
