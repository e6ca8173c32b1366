"""The supervisors' overview page and its export (Chinese first, ?lang=en for English).

`?township=<id>` opens a township's row into its producers (`county`: the county's own
row); the export follows the same parameter, so either table goes into the report.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from werkzeug.wrappers import Response

from traceability.audit import record_audit
from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.db import get_session
from traceability.errors import ValidationFailed
from traceability.issuing.service import today_in_china
from traceability.models.types import utcnow
from traceability.spreadsheets import XLSX, table_to_csv, table_to_xlsx
from traceability.supervision.overview import (
    Overview,
    export_header,
    export_rows,
    parse_period,
    producer_overview,
    township_not_found,
    township_overview,
)
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
    return render_template("supervision/overview.html", overview=_overview(principal))


@bp.get("/export")
def export() -> Response:
    """The same table as CSV or XLSX, for the monthly report to the county bureau."""
    principal = signed_in()
    kind = request.args.get("format", "xlsx")
    if kind not in ("csv", "xlsx"):
        raise ValidationFailed(
            "导出格式只能是 csv 或 xlsx。", "format must be csv or xlsx.", code="invalid_format"
        )
    overview = _overview(principal)
    english = str(get_locale()) == "en"
    header = export_header(overview, english=english)
    rows = export_rows(overview)
    if english:
        rows[-1][0] = "Total"
    period = overview.period
    session = get_session()
    exported = {"format": kind, "from": str(period.first), "to": str(period.last)}
    if overview.per_producer:
        exported["township"] = request.args.get("township", "")
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
    if kind == "csv":
        data, mimetype = table_to_csv(header, rows), "text/csv"
    else:
        data, mimetype = table_to_xlsx(title, header, rows), XLSX
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{what}-{period.first}-{period.last}.{kind}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
