"""JSON API v1 for compliance: production records, tests, cases, reference lists, refusals."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import ColumnElement
from sqlmodel import Session, and_, col, or_, select

from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.compliance import cases as case_service
from traceability.compliance import reference
from traceability.compliance.credit import credit_grade
from traceability.compliance.lab_reports import (
    ReportFileSummary,
    attach_report,
    attachable_test,
    files_of_tests,
    read_capped,
    report_for_download,
)
from traceability.compliance.records import record_input_use, records_for_producer
from traceability.compliance.refusals import refusal_dict, refusals
from traceability.compliance.testing import (
    case_number,
    record_test,
    sampling_township,
    test_dict,
)
from traceability.db import get_session, record_by_id
from traceability.errors import NotFound, ValidationFailed
from traceability.extensions import csrf
from traceability.models import Batch, Producer
from traceability.models.compliance import (
    ComplianceCase,
    InputUse,
    LabReportFile,
    RapidTest,
    ReferenceKind,
)
from traceability.web.api import current_principal, json_body
from traceability.whole_numbers import record_number

bp = Blueprint("compliance_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def visible_producers(session: Session, principal: Principal) -> set[int] | None:
    """Producer ids a supervisor's lists may show; None: every producer (county level)."""
    from traceability.registry.scope import regions_within

    townships = policy.township_scope(principal)
    if townships is None:
        return None
    regions = regions_within(session, townships)
    ids = session.exec(select(Producer.id).where(col(Producer.region_id).in_(regions or {-1})))
    return {i for i in ids if i is not None}


def visible_tests(session: Session, principal: Principal) -> ColumnElement[bool] | None:
    """Which tests a supervisor's lists show (cases: joined to their failed test); None:
    every test (county level). A producer's tests by the producer's township, an unknown
    seller's by the township where its sample was taken (`rapid_test.township_id`)."""
    townships = policy.township_scope(principal)
    if townships is None:
        return None
    producers = visible_producers(session, principal)
    return or_(
        col(RapidTest.producer_id).in_(producers or {-1}),
        and_(
            col(RapidTest.producer_id).is_(None),
            col(RapidTest.township_id).in_(townships or {-1}),
        ),
    )


def cases_in_scope(session: Session, principal: Principal, query: Any) -> Any:
    """`query` on cases narrowed to those `visible_tests` lets the caller see."""
    visible = visible_tests(session, principal)
    if visible is None:
        return query
    return query.join(RapidTest, col(RapidTest.id) == ComplianceCase.test_id).where(visible)


def record_dict(entry: InputUse) -> dict[str, Any]:
    data = entry.model_dump(exclude={"recorded_at", "used_on"})
    data.update(
        {"used_on": entry.used_on.isoformat(), "recorded_at": entry.recorded_at.isoformat()}
    )
    return data


def _producer_of(session: Session, body: dict[str, Any]) -> int | None:
    batch_id = body.get("batch_id")
    if isinstance(batch_id, int) and not isinstance(batch_id, bool):
        batch = record_by_id(session, Batch, batch_id)
        if batch is None:
            raise NotFound("找不到该批次。", "No such batch.", code="batch_not_found")
        return batch.producer_id
    producer_id = body.get("producer_id")
    return (
        producer_id if isinstance(producer_id, int) and not isinstance(producer_id, bool) else None
    )


@bp.post("/production-records")
def create_production_record() -> tuple[Response, int]:
    principal = current_principal()
    session = get_session()
    body = json_body()
    producer_id = _producer_of(session, body)
    if producer_id is None:
        raise ValidationFailed(
            "缺少 producer_id 或 batch_id。",
            "Give producer_id or batch_id.",
            code="producer_required",
        )
    policy.require(principal, "production_record.write", producer_id)
    entry = record_input_use(session, producer_id, body, recorded_by=principal.key)
    session.commit()
    return jsonify({"record": record_dict(entry)}), 201


@bp.get("/production-records")
def list_production_records() -> Response:
    principal = current_principal()
    producer_id = _producer_arg()
    if producer_id is None:
        raise ValidationFailed("缺少 producer_id。", "producer_id is required.")
    policy.require(principal, "production_record.read", producer_id)
    entries = records_for_producer(get_session(), producer_id)
    return jsonify({"records": [record_dict(e) for e in entries]})


REPORT_FIELD = "report"  # the multipart part that carries a lab report file
_FORM_INTEGERS = ("producer_id", "batch_id", "product_id", "retest_of_case")


def _multipart_body() -> dict[str, Any]:
    """A multipart form's fields as the JSON body would give them (ids as integers)."""
    body: dict[str, Any] = {}
    for name in request.form:
        values = request.form.getlist(name)
        body[name] = values if name == "items" and len(values) > 1 else values[-1]
    for name in _FORM_INTEGERS:
        value = body.get(name)
        if isinstance(value, str):
            body[name] = int(value) if value.strip().isdecimal() else (value.strip() or None)
    return body


def report_limit() -> int:
    """The running app's LAB_REPORT_MAX_BYTES (a whole number of at least 1: config.NUMBERS)."""
    return int(current_app.config["LAB_REPORT_MAX_BYTES"])


def attach_upload(
    session: Session, test: RapidTest, upload: tuple[bytes, str], principal: Principal
) -> LabReportFile:
    """`attach_report` for a request's `uploaded_report()`, by the signed-in principal."""
    limit = report_limit()
    return attach_report(session, test, *upload, uploaded_by=principal.key, max_bytes=limit)


def uploaded_report() -> tuple[bytes, str] | None:
    """The file of the `report` part, read up to one byte past the limit, and its name."""
    storage = request.files.get(REPORT_FIELD)
    if storage is None:
        return None
    data = read_capped(storage.stream, report_limit())
    if not data and not storage.filename:
        return None  # a form's file input left empty: no file, not an empty file
    return data, storage.filename or ""


def report_file_body(summary: ReportFileSummary | LabReportFile) -> dict[str, Any]:
    body = {
        "id": summary.id,
        "filename": summary.filename,
        "content_type": summary.content_type,
        "size": summary.size,
        "sha256": summary.sha256,
        "uploaded_at": summary.uploaded_at.isoformat(),
    }
    body["url"] = url_for(
        "compliance_api.download_report", test_id=summary.rapid_test_id, file_id=summary.id
    )
    return body


def _test_body(session: Session, test: RapidTest) -> dict[str, Any]:
    body = test_dict(test)
    files = files_of_tests(session, [test.id or 0]).get(test.id or 0, [])
    body["report_files"] = [report_file_body(f) for f in files]
    return body


@bp.post("/tests")
def create_test() -> tuple[Response, int]:
    """A rapid test or lab report; a failure blocks the batch and opens a case at once.

    JSON, or multipart/form-data with the same fields and a lab report file in `report`:
    the test and its file are saved in one transaction, or neither is.
    """
    principal = current_principal()
    session = get_session()
    multipart = request.mimetype == "multipart/form-data"
    body = _multipart_body() if multipart else json_body()
    case_id = case_number(body.get("retest_of_case"))
    if case_id is not None:
        case = case_service.get_case(session, case_id)
        policy.require(
            principal,
            "case.manage",
            case.producer_id,
            sampled_in=case_service.sampled_in(session, case),
        )
    else:
        township = sampling_township(session, body)
        policy.require_test_record(principal, _producer_of(session, body), township)
    test = record_test(session, body, recorded_by=principal.key, channel="api")
    upload = uploaded_report() if multipart else None
    if upload is not None:
        attach_upload(session, test, upload, principal)
    session.commit()
    opened = session.exec(
        select(ComplianceCase).where(
            (ComplianceCase.test_id == test.id) | (ComplianceCase.retest_test_id == test.id)
        )
    ).first()
    answer = {
        "test": _test_body(session, test),
        "case": case_service.case_dicts(session, [opened])[0] if opened else None,
    }
    return jsonify(answer), 201


@bp.get("/tests/<int:test_id>")
def get_test(test_id: int) -> Response:
    principal = current_principal()
    session = get_session()
    test = session.get(RapidTest, test_id)
    if test is None:
        raise NotFound("找不到该检测记录。", "No such test.", code="test_not_found")
    policy.require(principal, "test.read", test.producer_id, sampled_in=test.township_id)
    return jsonify({"test": _test_body(session, test)})


@bp.post("/tests/<int:test_id>/report")
def add_report(test_id: int) -> tuple[Response, int]:
    """Attach a lab report file (multipart part `report`) to an existing lab-report test."""
    principal = current_principal()
    session = get_session()
    test = attachable_test(session, principal, test_id)
    upload = uploaded_report()
    if upload is None:
        raise ValidationFailed(
            f"请以 multipart/form-data 上传文件，字段名为 {REPORT_FIELD}。",
            f"Upload the file as multipart/form-data in the part named {REPORT_FIELD}.",
            code="report_file_missing",
        )
    stored = attach_upload(session, test, upload, principal)
    session.commit()
    return jsonify({"report_file": report_file_body(stored)}), 201


def report_download(stored: LabReportFile) -> Response:
    """The stored bytes as an attachment that no browser renders or second-guesses.

    werkzeug writes the Content-Disposition with an ASCII `filename` and an RFC 5987
    `filename*` for Chinese names.
    """
    response = send_file(
        io.BytesIO(stored.data),
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.filename,
        etag=stored.sha256,
        conditional=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"  # it may name people
    return response


@bp.get("/tests/<int:test_id>/report/<int:file_id>")
def download_report(test_id: int, file_id: int) -> Response:
    principal = current_principal()
    return report_download(report_for_download(get_session(), principal, test_id, file_id))


@bp.get("/cases")
def list_cases() -> Response:
    principal = current_principal()
    policy.require_general(principal, "compliance.supervise")
    session = get_session()
    query = select(ComplianceCase).order_by(col(ComplianceCase.id).desc()).limit(500)
    query = cases_in_scope(session, principal, query)
    return jsonify({"cases": case_service.case_dicts(session, list(session.exec(query).all()))})


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int) -> Response:
    principal = current_principal()
    session = get_session()
    case = case_service.get_case(session, case_id)
    where = case_service.sampled_in(session, case)
    policy.require(principal, "case.read", case.producer_id, sampled_in=where)
    return jsonify({"case": case_service.case_dicts(session, [case])[0]})


@bp.post("/cases/<int:case_id>/<action>")
def act_on_case(case_id: int, action: str) -> Response:
    """disposal {disposal}, retest-request, investigate, close {outcome, note}."""
    principal = current_principal()
    session = get_session()
    case = case_service.get_case(session, case_id)
    body = request.get_json(silent=True) or {}
    actor = principal.key
    where = case_service.sampled_in(session, case)
    if action == "retest-request":
        policy.require(principal, "case.request_retest", case.producer_id, sampled_in=where)
        case_service.request_retest(session, case, actor=actor)
    else:
        policy.require(principal, "case.manage", case.producer_id, sampled_in=where)
        if action == "disposal":
            case_service.record_disposal(
                session, case, str(body.get("disposal") or ""), actor=actor
            )
        elif action == "investigate":
            case_service.start_investigation(session, case, actor=actor)
        elif action == "close":
            case_service.close_case(
                session,
                case,
                str(body.get("outcome") or ""),
                str(body.get("note") or ""),
                actor=actor,
            )
        else:
            raise NotFound("未知的案件操作。", "Unknown case action.", code="not_found")
    session.commit()
    return jsonify({"case": case_service.case_dicts(session, [case])[0]})


def _kind(name: str) -> ReferenceKind:
    try:
        return ReferenceKind(name)
    except ValueError:
        raise NotFound(
            "没有这个名录。",
            f"No such list; use one of {', '.join(k.value for k in ReferenceKind)}.",
            code="reference_not_found",
        ) from None


def reference_body(session: Session, kind: ReferenceKind) -> dict[str, Any]:
    version = reference.current_version(session, kind)
    rows: list[Any] = (
        reference.interval_defaults(session, active_only=False)
        if kind == ReferenceKind.INTERVAL
        else reference.substances(session, kind, active_only=False)
    )
    entries = []
    for row in rows:
        data = row.model_dump(exclude={"updated_at", "effective_from"})
        if hasattr(row, "effective_from"):
            data["effective_from"] = row.effective_from.isoformat() if row.effective_from else None
        entries.append(data)
    return {
        "kind": kind.value,
        "title": reference.KIND_ZH[kind],
        "version": version.label,
        "source": version.source,
        "entries": entries,
    }


@bp.get("/reference/<kind>")
def get_reference(kind: str) -> Response:
    principal = current_principal()
    policy.require_general(principal, "reference.read")
    return jsonify(reference_body(get_session(), _kind(kind)))


@bp.post("/reference/<kind>")
def add_reference(kind: str) -> tuple[Response, int]:
    principal = current_principal()
    policy.require_general(principal, "reference.manage")
    session = get_session()
    row, version = reference.add_entry(session, _kind(kind), json_body(), actor=principal.key)
    session.commit()
    return jsonify({"id": row.id, "version": version.label}), 201


@bp.patch("/reference/<kind>/<int:entry_id>")
def update_reference(kind: str, entry_id: int) -> Response:
    principal = current_principal()
    policy.require_general(principal, "reference.manage")
    session = get_session()
    row, version = reference.update_entry(
        session, _kind(kind), entry_id, json_body(), actor=principal.key
    )
    session.commit()
    return jsonify({"id": row.id, "version": version.label})


@bp.get("/refusals")
def list_refusals() -> Response:
    principal = current_principal()
    session = get_session()
    producer_id = _producer_arg()
    if producer_id is not None:
        policy.require(principal, "refusal.read", producer_id)
        rows = refusals(session, producer_id=producer_id)
    else:
        policy.require_general(principal, "compliance.supervise")
        rows = refusals(session, producer_ids=visible_producers(session, principal))
    return jsonify({"refusals": [refusal_dict(r) for r in rows]})


@bp.get("/producers/<int:producer_id>/credit")
def get_credit(producer_id: int) -> Response:
    principal = current_principal()
    policy.require(principal, "credit.read", producer_id)
    session = get_session()
    if record_by_id(session, Producer, producer_id) is None:
        raise NotFound("找不到该生产主体。", "No such producer.", code="producer_not_found")
    return jsonify({"credit": credit_grade(session, producer_id).to_dict(in_english)})


def in_english(label: str) -> str:
    """A catalogue label in English, whatever the request's language."""
    with force_locale("en"):
        return gettext(label)


def _producer_arg() -> int | None:
    """``?producer_id=``: absent, or a number that can name a producer (else a 422)."""
    return record_number(
        request.args.get("producer_id"), field_zh="producer_id", field_en="producer_id"
    )
