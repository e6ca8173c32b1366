"""Compliance pages (Chinese first): tests entry, cases, reference lists, refusals, credit.

Every view starts with `signed_in()` and asks `traceability.auth.policy`; the domain
functions are the same ones the API and the CLI call.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import uuid4

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlmodel import Session, col, select
from werkzeug.wrappers import Response
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.compliance import cases as case_service
from traceability.compliance import reference
from traceability.compliance.actors import actor_names
from traceability.compliance.api import (
    _kind,
    attach_upload,
    cases_in_scope,
    reference_body,
    report_download,
    report_limit,
    uploaded_report,
    visible_producers,
    visible_tests,
)
from traceability.compliance.case_texts import (
    case_links,
    history_lines,
    saved_retest_message,
    saved_test_message,
)
from traceability.compliance.coverage import covered_by, which_test_covers
from traceability.compliance.credit import credit_grades
from traceability.compliance.gate import entry_finding
from traceability.compliance.lab_reports import (
    attachable_test,
    attachable_tests,
    file_size,
    files_of_tests,
    report_for_download,
    takes_another_file,
)
from traceability.compliance.records import INPUT_KIND_ZH, record_input_use, records_for_producer
from traceability.compliance.refusals import refusals
from traceability.compliance.testing import (
    METHOD_ZH,
    RESULT_ZH,
    SUBMISSION_ID_MAX,
    record_test,
    sampling_township,
)
from traceability.db import get_session, record_by_id
from traceability.errors import DomainError, NotFound, ValidationFailed
from traceability.issuing.service import today_in_china
from traceability.models import Batch, Producer, Product, Region, RegionLevel
from traceability.models.compliance import (
    CaseOutcome,
    CaseState,
    ComplianceCase,
    IntervalDefault,
    RapidTest,
    ReferenceKind,
    ReferenceSubstance,
    TestMethod,
)
from traceability.models.types import utcnow
from traceability.web.admin import signed_in
from traceability.web.forms import RECORD_NUMBER, error_text, form_status, in_page_language
from traceability.whole_numbers import record_number

bp = Blueprint("compliance", __name__, url_prefix="/compliance")


class TestForm(FlaskForm):
    __test__ = False
    method = SelectField(
        _l("检测方法"), choices=[SelectChoice(m.value, _l(zh)) for m, zh in METHOD_ZH.items()]
    )
    producer_id = IntegerField(_l("生产主体编号"), validators=[Optional(), RECORD_NUMBER])
    batch_id = IntegerField(_l("批次编号"), validators=[Optional(), RECORD_NUMBER])
    product_name = StringField(_l("样品名称"), validators=[Optional(), Length(max=100)])
    sample_no = StringField(_l("样品编号"), validators=[Optional(), Length(max=40)])
    place = StringField(_l("抽样地点"), validators=[Optional(), Length(max=200)])
    # choices: the caller's townships (`_township_choices`); the value is the region id,
    # judged by `record_test` and the policy (a 422 or 403 beside the field), not by WTForms
    township = SelectField(
        _l("抽样地点所在乡镇"), choices=[], coerce=str, default="", validate_choice=False
    )
    inhibition_rate = DecimalField(_l("抑制率（%）"), validators=[Optional()])
    target = StringField(_l("检测项目（目标物质）"), validators=[Optional(), Length(max=100)])
    result = SelectField(
        _l("结果"),
        choices=[
            SelectChoice("", "—"),
            SelectChoice("pass", _l("合格/阴性")),
            SelectChoice("fail", _l("不合格/阳性")),
        ],
        validators=[Optional()],
    )
    lab_name = StringField(_l("检测机构"), validators=[Optional(), Length(max=200)])
    report_no = StringField(_l("报告编号"), validators=[Optional(), Length(max=60)])
    items = StringField(_l("检测项目（以、分隔）"), validators=[Optional(), Length(max=500)])
    operator = StringField(_l("检测人"), validators=[DataRequired(), Length(max=100)])
    instrument = StringField(_l("仪器编号"), validators=[Optional(), Length(max=100)])
    tested_at = StringField(_l("检测时间（留空为现在）"), validators=[Optional(), Length(max=40)])
    # checked by its bytes in lab_reports, not here: a name or a browser's type proves nothing
    report = FileField(
        _l("检测报告文件（PDF、JPG 或 PNG，可直接拍照）"),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,image/*"},
    )
    # a re-test (复检) of this case: the case page's button opens the form bound to it
    retest_of_case = HiddenField(validators=[Optional()])
    # one per form shown: the same form sent twice is one test (testing.submission_key),
    # even a rapid test without a sample number; the next form shown gets a new one
    submission_id = HiddenField(
        default=lambda: uuid4().hex,
        validators=[Optional(), Length(max=SUBMISSION_ID_MAX)],
        render_kw={"autocomplete": "off"},
    )


class AttachReportForm(FlaskForm):
    """One more report file for a test already on the list (the API's `POST …/report`)."""

    report = FileField(
        _l("附加检测报告文件（PDF、JPG 或 PNG）"),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,image/*", "required": True},
    )


def _china_today() -> date:
    return today_in_china(utcnow())


def _not_in_future(form: FlaskForm, field: DateField) -> None:
    if field.data is not None and field.data > _china_today():
        raise ValidationError(_("使用日期不能晚于今天。"))


class RecordForm(FlaskForm):
    """One input use (投入品使用记录), the fields of the paper record book."""

    product_id = SelectField(_l("产品"), coerce=int, validators=[DataRequired()])
    batch_id = SelectField(_l("批次"), coerce=int, validators=[Optional()])
    kind = SelectField(
        _l("投入品类别"), choices=[SelectChoice(k.value, _l(zh)) for k, zh in INPUT_KIND_ZH.items()]
    )
    substance = StringField(
        _l("投入品名称（有效成分）"), validators=[DataRequired(), Length(max=100)]
    )
    product_name = StringField(_l("商品名"), validators=[Optional(), Length(max=100)])
    registration_no = StringField(_l("登记证号"), validators=[Optional(), Length(max=40)])
    dose = StringField(_l("用量"), validators=[DataRequired(), Length(max=100)])
    method = StringField(_l("使用方法"), validators=[DataRequired(), Length(max=100)])
    used_on = DateField(
        _l("使用日期"), validators=[DataRequired(), _not_in_future], default=_china_today
    )
    operator = StringField(_l("操作人"), validators=[DataRequired(), Length(max=100)])
    interval_days = IntegerField(
        _l("安全间隔期/休药期（天，见产品标签）"),
        validators=[Optional(), NumberRange(min=0, max=3650)],
    )


CASE_ACTIONS = {
    "disposal": "case.manage",
    "retest-request": "case.request_retest",
    "investigate": "case.manage",
    "close": "case.manage",
}
"""Each step of the case page, and the permission it takes (as the API's `act_on_case`)."""


class CaseForm(FlaskForm):
    action = SelectField(
        _l("操作"),
        choices=[
            SelectChoice("disposal", _l("登记处置措施")),
            SelectChoice("retest-request", _l("登记复检申请")),
            SelectChoice("investigate", _l("立案调查")),
            SelectChoice("close", _l("结案")),
        ],
    )
    # the limits are the domain's (`record_disposal`, `close_case`), so the browser stops
    # where the service would refuse
    disposal = TextAreaField(
        _l("处置措施"), validators=[Optional(), Length(max=case_service.DISPOSAL_MAX)]
    )
    note = TextAreaField(
        _l("结案说明（结案依据，如处罚决定书文号）"),
        validators=[Optional(), Length(max=case_service.CLOSE_NOTE_MAX)],
    )
    outcome = SelectField(
        _l("结案结果"),
        choices=[
            SelectChoice("", "—"),
            *(SelectChoice(o.value, _l(zh)) for o, zh in case_service.OUTCOME_ZH.items()),
        ],
        validators=[Optional()],
    )


class ReferenceForm(FlaskForm):
    kind = SelectField(
        _l("名录"), choices=[SelectChoice(k.value, _l(zh)) for k, zh in reference.KIND_ZH.items()]
    )
    substance_zh = StringField(_l("物质（中文）"), validators=[DataRequired(), Length(max=200)])
    substance_en = StringField(_l("物质（英文）"), validators=[Optional(), Length(max=200)])
    scope = SelectField(
        _l("范围"),
        choices=[SelectChoice("all", _l("全面禁用")), SelectChoice("crops", _l("限定作物禁用"))],
        validators=[Optional()],
    )
    crops = StringField(
        _l("作物类别（; 分隔）/ 适用对象"), validators=[Optional(), Length(max=300)]
    )
    days = IntegerField(_l("间隔期/休药期（天）"), validators=[Optional()])
    effective_from = StringField(_l("生效日期"), validators=[Optional(), Length(max=10)])
    source = StringField(_l("依据（公告）"), validators=[DataRequired(), Length(max=200)])
    verified = SelectField(
        _l("核对"), choices=[SelectChoice("check", _l("待核对")), SelectChoice("yes", _l("已核对"))]
    )


class ToggleForm(FlaskForm):
    pass


@bp.get("/")
def index() -> str:
    principal = signed_in()
    return render_template("compliance/index.html", principal=principal, can=policy.can)


def _form_values(form: TestForm) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(form, name).data
        for name in (
            "method",
            "producer_id",
            "batch_id",
            "product_name",
            "sample_no",
            "place",
            "township",
            "target",
            "result",
            "lab_name",
            "report_no",
            "items",
            "operator",
            "instrument",
            "tested_at",
            "submission_id",
        )
    }
    rate = form.inhibition_rate.data
    values["inhibition_rate"] = str(rate) if rate is not None else None
    return values


def _both_languages(exc: DomainError) -> str:
    """The page's language first, then the other, as the error page shows them."""
    other = exc.message_zh if str(get_locale()) == "en" else exc.message_en
    return f"{error_text(exc)} / {other}"


def _retest_case(session: Session, principal: Principal, form: TestForm) -> ComplianceCase | None:
    """The case a re-test is entered for (the form's hidden field, or the case page's link),
    checked as `POST /api/v1/tests` with `retest_of_case` checks it; None for a plain test.
    A case that takes no more re-tests is refused before the form is shown."""
    raw = form.retest_of_case.data or request.args.get("retest_of_case", "")
    if not raw:
        return None
    if not str(raw).strip().isdecimal():
        raise NotFound("找不到该案件。", "No such case.", code="case_not_found")
    record = case_service.get_case(session, int(raw))
    where = case_service.sampled_in(session, record)
    policy.require(principal, "case.manage", record.producer_id, sampled_in=where)
    case_service.require_awaiting_retest(record)
    return record


def _bind_to_case(session: Session, form: TestForm, record: ComplianceCase) -> None:
    """A re-test is a lab report on what the failed test sampled: the form offers only the
    lab method, says whose sample it is, and starts from the sample's name and place."""
    form.method.choices = [
        SelectChoice(TestMethod.LAB_REPORT.value, _l(METHOD_ZH[TestMethod.LAB_REPORT]))
    ]
    form.retest_of_case.data = str(record.id)
    if request.method == "GET":
        original = session.get(RapidTest, record.test_id)
        form.method.data = TestMethod.LAB_REPORT.value
        if original is not None:
            form.product_name.data = original.product_name
            form.place.data = original.place


@bp.route("/tests", methods=["GET", "POST"])
def tests() -> Any:
    principal = signed_in()
    session = get_session()
    form = TestForm()
    _township_choices(session, principal, form)
    retest_of = _retest_case(session, principal, form)
    if retest_of is not None:
        _bind_to_case(session, form, retest_of)
    status, duplicate_of = 200, None
    if form.validate_on_submit():
        values = _form_values(form)
        try:
            if retest_of is not None:
                # the subject is the case's: `record_test` takes it from the failed test
                values.update(
                    producer_id=None, batch_id=None, township=None, retest_of_case=retest_of.id
                )
            else:
                _require_test_record(session, principal, values)
            test = record_test(session, values, recorded_by=principal.key, channel="page")
            upload = uploaded_report()
            if upload is not None:
                attach_upload(session, test, upload, principal)
            session.commit()
        except DomainError as exc:
            session.rollback()
            _show_refusal(form, exc)
            status, duplicate_of = exc.status, exc.details.get("test_id")
        else:
            if retest_of is not None:
                flash(*saved_retest_message(retest_of, test))
                return redirect(url_for("compliance.case", case_id=retest_of.id))
            flash(*saved_test_message(session, test))
            return redirect(url_for("compliance.tests"))
    return _tests_page(session, principal, form, retest_of, duplicate_of), form_status(form, status)


def _require_test_record(session: Session, principal: Principal, values: dict[str, Any]) -> None:
    producer_id = values["producer_id"]
    if values["batch_id"]:
        batch = record_by_id(session, Batch, values["batch_id"])
        producer_id = batch.producer_id if batch else producer_id
    township = sampling_township(session, values)
    policy.require_test_record(principal, producer_id, township, session=session)


def _township_choices(session: Session, principal: Principal, form: TestForm) -> None:
    """The townships a sample may be placed in: a supervisor's own, everyone else's the
    county's current ones. A supervisor of one township finds it chosen, so an unknown
    seller's sample it records lands in its township without a thought."""
    scope = policy.township_scope(principal)
    query = select(Region).where(
        Region.level == RegionLevel.TOWNSHIP, col(Region.retired).is_(False)
    )
    if scope is not None:
        query = query.where(col(Region.id).in_(scope or {-1}))
    townships = session.exec(query.order_by(col(Region.code))).all()
    form.township.choices = [
        SelectChoice("", _l("不指定")),
        *(SelectChoice(str(t.id), f"{t.name} {t.code}") for t in townships),
    ]
    if request.method == "GET" and scope is not None and len(townships) == 1:
        form.township.data = str(townships[0].id)


def _show_refusal(form: TestForm, exc: DomainError) -> None:
    """A refusal that names one of the form's fields is shown beside it; any other above
    the form, both in the page's language first."""
    named = exc.details.get("field")
    target = getattr(form, named, None) if isinstance(named, str) else None
    if target is not None and hasattr(target, "errors") and named != "csrf_token":
        target.errors = [*target.errors, _both_languages(exc)]
    else:
        flash(_both_languages(exc), "error")


def _tests_page(
    session: Session,
    principal: Principal,
    form: TestForm,
    retest_of: ComplianceCase | None = None,
    duplicate_of: int | None = None,
) -> str:
    """The entry form and the latest tests the caller may see, each with what it covers at the
    issuing gate, and each lab report the caller may add a file to with its own small upload
    form; after a test sent twice, a link to the one already recorded. Each test says where
    it was sampled (township and place): for an unknown seller's sample that is all there
    is to follow up."""
    visible = visible_tests(session, principal)
    query = select(RapidTest).order_by(col(RapidTest.id).desc()).limit(100)
    if principal.role == "producer":
        query = query.where(RapidTest.producer_id == principal.producer_id)
    elif visible is not None and principal.role != "rapid_test_operator":
        query = query.where(visible)
    rows = session.exec(query).all()
    files = files_of_tests(session, [r.id for r in rows if r.id is not None])
    open_to_files = [r for r in rows if r.id and takes_another_file(r, len(files.get(r.id, [])))]
    attachable = attachable_tests(session, principal, open_to_files)
    sampled_in = {r.township_id for r in rows if r.township_id is not None}
    townships = {
        region.id: region.name
        for region in session.exec(select(Region).where(col(Region.id).in_(sampled_in)))
    }
    return render_template(
        "compliance/tests.html",
        townships=townships,
        form=form,
        retest_of=retest_of,
        duplicate_of=duplicate_of,
        retest_subject=_subject_of(session, retest_of) if retest_of else None,
        retest_failed=session.get(RapidTest, retest_of.test_id) if retest_of else None,
        attach_form=AttachReportForm(formdata=None),
        rows=rows,
        case_links=case_links(session, principal, rows),
        covers={r.id: covered_by(r) for r in rows},
        files=files,
        attachable=attachable,
        method_zh=METHOD_ZH,
        result_zh=RESULT_ZH,
        limit=file_size(report_limit()),
        file_size=file_size,
    )


@bp.post("/tests/<int:test_id>/report")
def add_report(test_id: int) -> Any:
    """A report file for a test already saved: who may, and what is accepted, exactly as
    `POST /api/v1/tests/<id>/report` decides. A refusal shows the list again with its status."""
    principal = signed_in()
    session = get_session()
    try:
        test = attachable_test(session, principal, test_id)
        upload = uploaded_report()
        if upload is None:
            raise ValidationFailed(
                "请先选择要附加的检测报告文件（PDF、JPG 或 PNG）。",
                "Choose the lab report file (PDF, JPG or PNG) to attach first.",
                code="report_file_missing",
            )
        stored = attach_upload(session, test, upload, principal)
        session.commit()
    except DomainError as exc:
        session.rollback()
        flash(_both_languages(exc), "error")
        return _tests_page(session, principal, TestForm(formdata=None)), exc.status
    flash(
        _("已为检测记录 T%(id)s 附加检测报告文件 %(name)s。", id=test_id, name=stored.filename),
        "ok",
    )
    return redirect(url_for("compliance.tests"))


@bp.get("/tests/<int:test_id>/report/<int:file_id>")
def report_file(test_id: int, file_id: int) -> Response:
    """A lab report file, for whoever may read its test (others are told it is not there)."""
    principal = signed_in()
    return report_download(report_for_download(get_session(), principal, test_id, file_id))


def _record_choices(form: RecordForm, session: Any, producer_id: int) -> None:
    products = session.exec(
        select(Product).where(Product.producer_id == producer_id).order_by(col(Product.id))
    ).all()
    names = {p.id: p.name for p in products}
    batches = session.exec(
        select(Batch)
        .where(Batch.producer_id == producer_id)
        .order_by(col(Batch.id).desc())
        .limit(50)
    ).all()
    form.product_id.choices = [SelectChoice(p.id, p.name) for p in products]
    form.batch_id.choices = [
        SelectChoice(0, _("不指定：计入该产品的下一次采收")),
        *(
            SelectChoice(
                b.id, f"#{b.id} {names.get(b.product_id, '')} {b.harvest_date or ''}".strip()
            )
            for b in batches
        ),
    ]


@bp.route("/records", methods=["GET", "POST"])
def records() -> Any:
    """Production records of one producer: a producer's own, or any a supervisor may see.

    Saving uses `record_input_use`, as the API does; a substance the issuing gate would
    refuse is said at once, so nobody learns it first at the kiosk on market day, and so is
    which test would cover a pesticide or veterinary drug (用什么药、检什么药).
    """
    principal = signed_in()
    session = get_session()
    if principal.role == "producer":
        producer_id = principal.producer_id
    else:
        producer_id = record_number(
            request.args.get("producer_id"), field_zh="生产主体编号", field_en="Producer number"
        )
    if producer_id is None:
        policy.require_general(principal, "compliance.supervise")  # whose book to open
        return render_template("compliance/records.html", producer=None)
    policy.require(principal, "production_record.read", producer_id)
    producer = session.get(Producer, producer_id)
    if producer is None:
        raise NotFound("找不到该生产主体。", "No such producer.", code="producer_not_found")
    form = RecordForm()
    _record_choices(form, session, producer_id)
    status = 200
    if form.validate_on_submit():
        policy.require(principal, "production_record.write", producer_id)
        try:
            values = {
                "batch_id": form.batch_id.data or None,
                "product_id": form.product_id.data,
                "kind": form.kind.data,
                "substance": form.substance.data,
                "product_name": form.product_name.data or "",
                "registration_no": form.registration_no.data or "",
                "dose": form.dose.data,
                "method": form.method.data,
                "used_on": form.used_on.data,
                "operator": form.operator.data,
                "interval_days": form.interval_days.data,
            }
            entry = record_input_use(session, producer_id, values, recorded_by=principal.key)
            finding = entry_finding(session, entry)
            advice = which_test_covers(entry)
            session.commit()
        except DomainError as exc:
            session.rollback()
            flash(error_text(exc), "error")
            status = exc.status
        else:
            flash(_("已保存生产记录 #%(id)s。", id=entry.id), "ok")
            if finding is not None:
                flash(in_page_language(finding.zh, finding.en), "warn")
            elif advice is not None:
                flash(in_page_language(*advice), "ok")
            return redirect(url_for("compliance.records", producer_id=producer_id))
    return render_template(
        "compliance/records.html",
        producer=producer,
        form=form,
        rows=records_for_producer(session, producer_id, limit=100),
        kind_zh=INPUT_KIND_ZH,
    ), form_status(form, status)


def _cases_query(principal: Any) -> Any:
    policy.require_general(principal, "compliance.supervise")
    query = select(ComplianceCase).order_by(col(ComplianceCase.id).desc()).limit(200)
    return cases_in_scope(get_session(), principal, query)


@bp.get("/cases")
def cases() -> str:
    principal = signed_in()
    session = get_session()
    rows = list(session.exec(_cases_query(principal)).all())
    return render_template(
        "compliance/cases.html",
        rows=rows,
        names=_producer_names(session, {c.producer_id for c in rows if c.producer_id}),
        blocks_issuing=case_service.blocks_issuing,
        deadlines=case_service.current_deadlines(session, rows),
        state_zh=case_service.STATE_ZH,
    )


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
def case(case_id: int) -> Any:
    principal = signed_in()
    session = get_session()
    record = case_service.get_case(session, case_id)
    where = case_service.sampled_in(session, record)
    policy.require(principal, "case.read", record.producer_id, sampled_in=where)
    form = CaseForm()
    posted = form.action.data if request.method == "POST" else None
    if posted in CASE_ACTIONS:  # a step the page did not offer: say why, as the API does
        policy.require(principal, CASE_ACTIONS[posted], record.producer_id, sampled_in=where)
    test = session.get(RapidTest, record.test_id)
    deadline = case_service.current_deadline(record, test)
    # every step the person may take is accepted (the domain says why one is refused now);
    # the page offers only those that can succeed now
    form.action.choices = _case_choices(principal, record, where, deadline, now_only=False)
    status = 200
    if form.action.choices and form.validate_on_submit():
        action, actor = form.action.data, principal.key
        try:
            if action == "retest-request":
                case_service.request_retest(session, record, actor=actor)
            else:
                if action == "disposal":
                    case_service.record_disposal(
                        session, record, form.disposal.data or "", actor=actor
                    )
                elif action == "investigate":
                    case_service.start_investigation(session, record, actor=actor)
                else:
                    case_service.close_case(
                        session, record, form.outcome.data or "", form.note.data or "", actor=actor
                    )
            session.commit()
            flash(_("已保存。"), "ok")
            return redirect(url_for("compliance.case", case_id=case_id))
        except DomainError as exc:
            session.rollback()
            flash(error_text(exc), "error")
            status = exc.status
    retest = session.get(RapidTest, record.retest_test_id) if record.retest_test_id else None
    form.action.choices = _case_choices(principal, record, where, deadline, now_only=True)
    closing_waits = _outcomes_not_yet(session, form, record)
    return render_template(
        "compliance/case.html",
        case=record,
        test=test,
        retest=retest,
        subject=_subject_of(session, record),
        sampled_township=session.get(Region, where) if where is not None else None,
        blocks_issuing=case_service.blocks_issuing,
        history=history_lines(session, record),
        may_enter_retest=case_service.awaits_retest(record)
        and policy.allowed(principal, "case.manage", record.producer_id, sampled_in=where),
        deadline=deadline,
        deadline_estimated=test is not None and case_service.deadline_estimated(test, deadline),
        form=form,
        may_manage=policy.allowed(principal, "case.manage", record.producer_id, sampled_in=where),
        state_zh=case_service.STATE_ZH,
        outcome_zh={o.value: zh for o, zh in case_service.OUTCOME_ZH.items()},
        closing_waits=closing_waits,
        method_zh=METHOD_ZH,
        result_zh=RESULT_ZH,
    ), form_status(form, status)


def _outcomes_not_yet(
    session: Session, form: CaseForm, record: ComplianceCase
) -> list[tuple[str, str]]:
    """The outcomes the case cannot close with yet, each with the reason (`closing_refusal`:
    the re-test window still open, a re-test awaited, no disposal recorded …): the dropdown
    shows them disabled and the page says why, before anyone tries. `close_case` still
    decides: a page left open past the window offers them once reloaded."""
    if record.state == CaseState.CLOSED:
        return []
    now, waits, choices = utcnow(), [], []
    for choice in form.outcome.choices:
        refusal = (
            case_service.closing_refusal(session, record, CaseOutcome(choice.value), now)
            if choice.value
            else None
        )
        if refusal is not None:
            waits.append((str(choice.label), error_text(refusal)))
            choice = SelectChoice(choice.value, choice.label, render_kw={"disabled": True})
        choices.append(choice)
    form.outcome.choices = choices
    return waits


def _case_choices(
    principal: Principal,
    record: ComplianceCase,
    sampled_in: int | None,
    deadline: datetime,
    *,
    now_only: bool,
) -> list[SelectChoice]:
    """The steps the signed-in person may take on this case (`now_only`: that can succeed
    now): a producer asks for its re-test while the window runs and none was asked for;
    managing the case is the supervisor's."""

    def offered(action: str) -> bool:
        action_of = CASE_ACTIONS[action]
        if not policy.allowed(principal, action_of, record.producer_id, sampled_in=sampled_in):
            return False
        if now_only and action == "retest-request":
            return (
                record.retest_requested_at is None
                and case_service.awaits_retest(record)
                and utcnow() <= deadline
            )
        return True

    form = CaseForm(formdata=None)
    return [c for c in form.action.choices if offered(str(c.value))]


@bp.route("/reference", methods=["GET", "POST"])
def reference_lists() -> Any:
    principal = signed_in()
    policy.require_general(principal, "reference.read")
    session = get_session()
    form = ReferenceForm()
    status = 200
    if form.validate_on_submit():
        try:
            policy.require_general(principal, "reference.manage")
            kind = ReferenceKind(form.kind.data)
            values: dict[str, Any] = {
                "substance_zh": form.substance_zh.data,
                "substance_en": form.substance_en.data,
                "scope": form.scope.data,
                "crops": form.crops.data,
                "effective_from": form.effective_from.data,
                "source": form.source.data,
                "verified": form.verified.data,
            }
            if kind == ReferenceKind.INTERVAL:
                values = {
                    "substance": form.substance_zh.data,
                    "applies_to": form.crops.data,
                    "days": form.days.data,
                    "source": form.source.data,
                    "verified": form.verified.data,
                }
            _row, version = reference.add_entry(session, kind, values, actor=principal.key)
            session.commit()
            flash(_("已添加，名录版本 %(version)s。", version=version.label), "ok")
            return redirect(url_for("compliance.reference_lists", _anchor=kind.value))
        except DomainError as exc:
            session.rollback()
            flash(error_text(exc), "error")
            status = exc.status
    lists = [reference_body(session, kind) for kind in ReferenceKind]
    revisions = {kind.value: reference.revisions(session, kind)[:5] for kind in ReferenceKind}
    # who made each version, named as a case's history names its actors
    actors = actor_names(session, [r.actor for shown in revisions.values() for r in shown])
    return render_template(
        "compliance/reference.html",
        form=form,
        toggle=ToggleForm(),
        lists=lists,
        revisions=revisions,
        actors=actors,
        can_manage=policy.can(principal, "reference.manage"),
    ), form_status(form, status)


@bp.post("/reference/<kind>/<int:entry_id>/toggle")
def reference_toggle(kind: str, entry_id: int) -> Response:
    principal = signed_in()
    policy.require_general(principal, "reference.manage")
    session = get_session()
    if ToggleForm().validate_on_submit():
        list_kind = _kind(kind)
        body = _current(session, list_kind, entry_id)
        _row, version = reference.update_entry(
            session, list_kind, entry_id, {"active": not body["active"]}, actor=principal.key
        )
        session.commit()
        flash(_("已更新，名录版本 %(version)s。", version=version.label), "ok")
    return redirect(url_for("compliance.reference_lists", _anchor=kind))


def _current(session: Any, kind: ReferenceKind, entry_id: int) -> dict[str, Any]:
    model: Any = IntervalDefault if kind == ReferenceKind.INTERVAL else ReferenceSubstance
    row = session.get(model, entry_id)
    return {"active": bool(row.active) if row else True}


@bp.get("/refusals")
def refusal_list() -> str:
    principal = signed_in()
    session = get_session()
    if principal.role == "producer" and principal.producer_id:
        rows = refusals(session, producer_id=principal.producer_id)
    else:
        policy.require_general(principal, "compliance.supervise")
        rows = refusals(session, producer_ids=visible_producers(session, principal))
    names = _producer_names(session, {r.producer_id for r in rows})
    return render_template("compliance/refusals.html", rows=rows, names=names)


def _subject_of(session: Session, record: ComplianceCase) -> dict[str, Any]:
    """Whose sample a case is about: the producer, batch and product, as far as known."""
    producer = session.get(Producer, record.producer_id) if record.producer_id else None
    product = session.get(Product, record.product_id) if record.product_id else None
    return {"producer": producer, "product": product}


def _producer_names(session: Any, ids: set[int]) -> dict[int, str]:
    found = session.exec(select(Producer).where(col(Producer.id).in_(ids or {-1}))).all()
    return {p.id: p.name for p in found}


@bp.get("/credit")
def credit() -> str:
    principal = signed_in()
    policy.require_general(principal, "compliance.supervise")
    session = get_session()
    query = select(Producer).order_by(col(Producer.id))
    visible = visible_producers(session, principal)
    if visible is not None:
        query = query.where(col(Producer.id).in_(visible or {-1}))
    producers = session.exec(query).all()
    graded = credit_grades(session, [p.id or 0 for p in producers])
    grades = [(p, graded[p.id or 0]) for p in producers]
    return render_template(
        "compliance/credit.html", grades=grades, outcomes=CaseOutcome, translate=_
    )
