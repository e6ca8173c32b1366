"""JSON API for intake: bulk scans, paper certificates, the ledger, recalls, EPCIS export."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import get_locale, gettext
from sqlmodel import Session, select

from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.beijing_time import CHINA, EARLIEST_DAY, LATEST_DAY
from traceability.db import begin_write, get_engine, get_session, record_by_id
from traceability.errors import Forbidden, NotFound, ValidationFailed
from traceability.extensions import csrf
from traceability.intake import epcis, ledger, recall
from traceability.intake.markets import get_market
from traceability.intake.photos import photo_file, save_photo
from traceability.intake.service import (
    CodeIntake,
    check_uuid,
    paper_intake_from,
    parse_time,
    record_code_intakes,
    record_dict,
    record_paper_intake,
)
from traceability.models import Batch, IntakeRecord, Market
from traceability.spreadsheets import XLSX, table_to_csv, table_to_xlsx
from traceability.web.api import current_principal, json_body
from traceability.web.lookup_views import accepted_hosts

bp = Blueprint("intake_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_RECORDS = 500


def _database() -> str:
    return get_engine().url.render_as_string(hide_password=True)


def _market_for(principal: Principal, action: str, raw: Any = None) -> Market:
    """An inspector's own market; supervisors name one with `market_id`."""
    market_id: Any = raw if raw not in (None, "") else principal.market_id
    try:
        market_id = int(market_id) if market_id is not None else None
    except (TypeError, ValueError):
        market_id = None
    if market_id is None and principal.role in (policy.COUNTY, policy.SUPERVISOR):
        raise ValidationFailed(
            "请指定市场（market_id）。监管账户可以查看各市场的记录，收货登记须由市场查验员进行。",
            "Name the market (`market_id`). A supervisor may read any market's records; "
            "intake is recorded by the market's inspector.",
            code="market_required",
        )
    if market_id is None:
        raise Forbidden(
            "此账户不属于任何市场，不能登记或查看进货查验：请用市场查验员账户登录，"
            "或输入本市场的查验员令牌。",
            "This account belongs to no market, so it cannot record or read intake: sign in "
            "as the market's inspector, or enter the market's inspector token.",
            code="no_market",
        )
    policy.require_market(principal, action, market_id)
    return get_market(get_session(), market_id)


def _who(principal: Principal, given: Any) -> str:
    return given.strip()[:100] if isinstance(given, str) and given.strip() else principal.key


def _text(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(
            f"字段 {name} 必须是文本。", f"Field {name} must be text.", code="invalid_field"
        )
    return value


def _entries(body: dict[str, Any]) -> list[CodeIntake]:
    records = body.get("records")
    if records is None and isinstance(body.get("codes"), list):
        # shorthand for systems without their own record ids: not safe to retry
        records = [{"uuid": str(uuid.uuid4()), "code": c} for c in body["codes"]]
    if not isinstance(records, list) or not records or len(records) > MAX_RECORDS:
        raise ValidationFailed(
            f"records 须为 1 至 {MAX_RECORDS} 条记录的列表。",
            f"`records` must be a list of 1 to {MAX_RECORDS} records.",
            code="invalid_records",
        )
    entries = []
    for entry in records:
        if not isinstance(entry, dict):
            raise ValidationFailed(
                "每条记录须为 JSON 对象。", "Each record must be an object.", code="invalid_records"
            )
        text = _text(entry, "code") or _text(entry, "text")
        entries.append(
            CodeIntake(
                uuid=check_uuid(entry.get("uuid")),
                text=text,
                supplier=_text(entry, "supplier") or _text(body, "supplier"),
                inspector=_text(entry, "inspector") or _text(body, "inspector"),
                received_at=parse_time(entry.get("received_at")),
                offline_verdict=_text(entry, "offline_verdict") or None,
            )
        )
    return entries


@bp.post("/intake")
def intake() -> Response:
    """Many scanned codes per request; each record's `uuid` makes retries harmless."""
    principal = current_principal()
    body = json_body()
    market = _market_for(principal, "intake.record", body.get("market_id"))
    entries = _entries(body)
    for entry in entries:
        entry.inspector = _who(principal, entry.inspector)
    session = get_session()
    begin_write(session)
    outcomes = record_code_intakes(
        session,
        market,
        entries,
        database=_database(),
        accepted_hosts=accepted_hosts(),
        retention_days=current_app.config["RECORD_RETENTION_DAYS"],
    )
    results = [
        {"uuid": entry.uuid, **outcome.to_dict()}
        for entry, outcome in zip(entries, outcomes, strict=True)
    ]
    session.commit()
    return jsonify({"market_id": market.id, "results": results})


@bp.post("/intake/paper")
def intake_paper() -> tuple[Response, int]:
    """A paper certificate: multipart form with the transcribed fields and a `photo`."""
    principal = current_principal()
    fields: dict[str, Any] = dict(request.form.items())
    market = _market_for(principal, "intake.record", fields.get("market_id"))
    entry = paper_intake_from(fields)
    entry.uuid = check_uuid(entry.uuid)
    entry.inspector = _who(principal, entry.inspector)
    session = get_session()
    begin_write(session)
    existing = session.exec(select(IntakeRecord).where(IntakeRecord.uuid == entry.uuid)).first()
    photo = request.files.get("photo")
    path = None
    if existing is None and photo is not None and photo.filename is not None:
        path = save_photo(
            current_app.config["TRACEABILITY_HOME"], market.id or 0, entry.uuid, photo.read()
        )
    outcome = record_paper_intake(
        session,
        market,
        entry,
        photo_path=path,
        retention_days=current_app.config["RECORD_RETENTION_DAYS"],
    )
    session.commit()
    return jsonify(outcome.to_dict()), 200 if outcome.replayed else 201


@bp.get("/intake/records/<record_uuid>/photo")
def intake_photo(record_uuid: str) -> Response:
    principal = current_principal()
    session = get_session()
    record = session.exec(select(IntakeRecord).where(IntakeRecord.uuid == record_uuid)).first()
    policy.require_market(principal, "intake.read", record.market_id if record else None)
    if record is None or not record.photo_path:
        raise NotFound("该记录没有照片。", "This record has no photo.", code="photo_not_found")
    path = photo_file(current_app.config["TRACEABILITY_HOME"], record.photo_path)
    mimetype = {".png": "image/png", ".webp": "image/webp"}.get(path.suffix, "image/jpeg")
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        found = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            f"{name} 须为 YYYY-MM-DD 日期。",
            f"`{name}` must be a YYYY-MM-DD date.",
            code="invalid_date",
        ) from None
    if not EARLIEST_DAY <= found <= LATEST_DAY:  # day bounds in Beijing time stay in range
        raise ValidationFailed(
            f"{name} {found} 超出可查询的日期范围（{EARLIEST_DAY} 至 {LATEST_DAY}）。",
            f"`{name}` {found} is outside the dates one can look up "
            f"({EARLIEST_DAY} to {LATEST_DAY}).",
            code="invalid_date",
        )
    return found


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/intake/ledger")
def intake_ledger() -> Response:
    """Search the ledger (JSON), or export it: `format=csv` or `format=xlsx`."""
    principal = current_principal()
    market = _market_for(principal, "intake.read", request.args.get("market_id"))
    query = ledger.LedgerQuery(
        market_id=market.id,
        date_from=_date("from"),
        date_to=_date("to"),
        product=request.args.get("product", ""),
        supplier=request.args.get("supplier", ""),
        certificate_number=request.args.get("certificate", ""),
        verdict=request.args.get("verdict", ""),
    )
    session = get_session()
    kind = request.args.get("format", "json")
    stamp = datetime.now(CHINA).strftime("%Y%m%d")
    # the headers say both languages; the coded cells (verdict, its detail, method) and the
    # sheet follow the reader's (?lang=en), as the recall report's do
    language = "en" if str(get_locale()) == "en" else "zh"
    if kind == "csv":
        records = _every_line(session, query)
        data = ledger.to_csv(records, language=language)
        return _download(data, f"intake-{market.id}-{stamp}.csv", "text/csv")
    if kind == "xlsx":
        records = _every_line(session, query)
        data = ledger.to_xlsx(records, language=language)
        return _download(data, f"intake-{market.id}-{stamp}.xlsx", XLSX)
    # one line past the page's limit says whether older lines are left out
    records = ledger.search(session, query, limit=ledger.PAGE_LIMIT + 1)
    return jsonify(
        {
            "market": {"id": market.id, "name": market.name},
            "retention_days": current_app.config["RECORD_RETENTION_DAYS"],
            "records": [record_dict(r) for r in records[: ledger.PAGE_LIMIT]],
            "limit": ledger.PAGE_LIMIT,
            "more": len(records) > ledger.PAGE_LIMIT,
        }
    )


def _every_line(session: Session, query: ledger.LedgerQuery) -> Sequence[IntakeRecord]:
    """Every line the search finds, or a refusal: an export cut short without a word would
    pass for the whole ledger in an inspection."""
    limit = int(current_app.config["INTAKE_EXPORT_MAX_LINES"])
    records = ledger.search(session, query, limit=limit + 1)
    if len(records) > limit:
        raise ValidationFailed(
            f"符合条件的查验记录超过 {limit:,} 条，一次导出不下：请缩小日期范围，分几次导出。",
            f"More than {limit:,} intake lines match: narrow the dates and export them in parts.",
            code="export_too_large",
        )
    return records


@bp.get("/intake/market")
def intake_market() -> Response:
    """The inspector's market and its open recall alerts (the intake page polls this)."""
    principal = current_principal()
    market = _market_for(principal, "intake.read", request.args.get("market_id"))
    return jsonify(
        {
            "market": {
                "id": market.id,
                "name": market.name,
                "kind": market.kind,
                "region": market.region,
            },
            "alerts": recall.open_alerts(get_session(), market.id or 0),
        }
    )


@bp.post("/intake/alerts/<int:alert_id>/ack")
def acknowledge(alert_id: int) -> Response:
    principal = current_principal()
    body = request.get_json(silent=True) or {}
    market = _market_for(principal, "intake.record", body.get("market_id"))
    session = get_session()
    alert = recall.acknowledge_alert(
        session, alert_id, market.id or 0, who=_who(principal, body.get("inspector"))
    )
    session.commit()
    return jsonify({"id": alert.id, "acknowledged_at": alert.acknowledged_at})


@bp.post("/recalls")
def create_recall() -> tuple[Response, int]:
    """{"batch_id", "reason"} or {"producer_id", "date_from", "date_to", "reason"}."""
    principal = current_principal()
    body = json_body()
    session = get_session()
    reason: str = body["reason"] if isinstance(body.get("reason"), str) else ""
    batch_id, producer_id = body.get("batch_id"), body.get("producer_id")
    if batch_id is not None and producer_id is not None:
        raise ValidationFailed(
            "batch_id 与 producer_id 只能选其一："
            "召回一个批次，或召回生产主体在日期范围内的合格证。",
            "Send either `batch_id` or `producer_id`, not both: recall one batch, or a "
            "producer's certificates in a date range.",
            code="recall_scope_ambiguous",
        )
    if isinstance(batch_id, int) and not isinstance(batch_id, bool):
        batch = record_by_id(session, Batch, batch_id)
        policy.require(principal, "recall.create", batch.producer_id if batch else None)
        begin_write(session)
        made = recall.recall_batch(session, batch_id, reason, actor=principal.key)
    elif isinstance(producer_id, int) and not isinstance(producer_id, bool):
        policy.require(principal, "recall.create", producer_id)
        try:
            start = date.fromisoformat(str(body.get("date_from")))
            end = date.fromisoformat(str(body.get("date_to")))
        except ValueError:
            raise ValidationFailed(
                "date_from 与 date_to 须为 YYYY-MM-DD 日期。",
                "`date_from` and `date_to` must be YYYY-MM-DD dates.",
                code="invalid_date",
            ) from None
        begin_write(session)
        made = recall.recall_producer(session, producer_id, start, end, reason, actor=principal.key)
    else:
        raise ValidationFailed(
            "请指定 batch_id，或 producer_id 加日期范围。",
            "Send `batch_id`, or `producer_id` with `date_from` and `date_to`.",
            code="recall_scope_required",
        )
    session.commit()
    return jsonify(recall.recall_dict(made, recall.recall_report(session, made))), 201


@bp.get("/recalls/<int:recall_id>")
def get_recall(recall_id: int) -> Response:
    """The recall report: every market that received the goods (json, csv or xlsx)."""
    principal = current_principal()
    session = get_session()
    made = recall.get_recall(session, recall_id)
    policy.require(principal, "recall.create", made.producer_id)
    lines = recall.recall_report(session, made)
    kind = request.args.get("format", "json")
    # the headers say both languages; the cells and the sheet follow the reader's (?lang=en)
    labels = {name: gettext(text) for name, text in recall.REPORT_LABELS.items()}
    rows = recall.report_rows(lines, labels)
    if kind == "csv":
        data = table_to_csv(recall.REPORT_COLUMNS, rows)
        return _download(data, f"recall-{recall_id}.csv", "text/csv")
    if kind == "xlsx":
        sheet = f"Recall {recall_id}" if str(get_locale()) == "en" else f"召回{recall_id}"
        data = table_to_xlsx(sheet, recall.REPORT_COLUMNS, rows)
        return _download(data, f"recall-{recall_id}.xlsx", XLSX)
    return jsonify(recall.recall_dict(made, lines))


@bp.get("/epcis/events")
def epcis_events() -> Response:
    """EPCIS 2.0 JSON-LD: a market's intake events and the issue events of what it received."""
    principal = current_principal()
    raw = request.args.get("market_id")
    market_id: int | None = None
    markets: set[int] | None = None
    readable: Callable[[set[int]], set[int]] | None = None  # producers' issue events: all
    session = get_session()
    if raw or principal.role == "market_inspector":
        market_id = _market_for(principal, "intake.read", raw).id
    else:
        policy.require_market(principal, "intake.read", None)
        # a county-wide export: the markets and producers the caller may read, no others
        markets = policy.readable_markets(principal, "intake.read", session=session)
        readable = partial(policy.allowed_producers, principal, "certificate.read", session=session)

    start, end = _date("from"), _date("to")
    tz = CHINA
    document = epcis.epcis_document(
        session,
        base_url=current_app.config["PUBLIC_BASE_URL"],
        market_id=market_id,
        markets=markets,
        readable=readable,
        since=datetime.combine(start, time(), tz) if start else None,
        until=datetime.combine(end + timedelta(days=1), time(), tz) if end else None,
    )
    response = jsonify(document)
    response.mimetype = "application/ld+json"
    return response
