"""检打联动: a failed test blocks its batch, revokes its certificates and opens a case.

The tested party may ask for a re-test within 4 hours of a rapid test, and the re-test
must not use a rapid method (农产品质量安全法 Art. 50/51); for a lab result the window
is 5 working days. A passing re-test asked for inside the window lifts the block;
the case then goes investigating → closed with an outcome.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from traceability.beijing_time import DAY, beijing_date, day_start, format_beijing
from traceability.compliance.audit_trail import audit_case
from traceability.compliance.case_history import note as _note
from traceability.compliance.names import normalise
from traceability.compliance.testing import METHOD_ZH, RAPID_METHODS, store_test
from traceability.db import record_by_id
from traceability.errors import Conflict, NotFound, ValidationFailed
from traceability.issuing.revocation import revoke_certificate
from traceability.models import Certificate, CertificateStatus
from traceability.models.compliance import (
    CaseOutcome,
    CaseState,
    ComplianceCase,
    RapidTest,
    TestMethod,
    TestResult,
)
from traceability.models.types import utcnow
from traceability.translatable import N_
from traceability.working_days import add_working_days, schedule_known

DISPOSAL_MAX = 300  # compliance_case.disposal
CLOSE_NOTE_MAX = 500  # compliance_case.outcome_note
RAPID_RETEST_WINDOW = timedelta(hours=4)
LAB_RETEST_WORKING_DAYS = 5
STATE_ZH = {
    CaseState.DISPOSAL: N_("不合格处置（复检申请期）"),
    CaseState.RETEST_REQUESTED: N_("已申请复检"),
    CaseState.INVESTIGATING: N_("调查中"),
    CaseState.CLOSED: N_("已结案"),
}
OUTCOME_ZH = {
    CaseOutcome.PENALTY: N_("行政处罚"),
    CaseOutcome.WARNING: N_("警告/责令改正"),
    CaseOutcome.CLEARED: N_("排除（解除限制）"),
}


def retest_deadline(test: RapidTest) -> datetime:
    """4 hours after a rapid test; for a lab result, the end of the 5th working day after
    the day of the test, both counted on Beijing's calendar with its holidays (a test on
    Monday 04:00 Beijing time is Sunday in UTC)."""
    if test.method in RAPID_METHODS:
        return test.tested_at + RAPID_RETEST_WINDOW
    last = add_working_days(beijing_date(test.tested_at), LAB_RETEST_WORKING_DAYS)
    return (day_start(last + timedelta(days=1)) - timedelta(seconds=1)).astimezone(UTC)


def deadline_estimated(test: RapidTest, deadline: datetime) -> bool:
    """Whether a lab result's deadline was counted Monday to Friday, its year's holidays not
    being known here (docs/compliance.md: the schedule file): the page says so."""
    if test.method in RAPID_METHODS:
        return False
    days = (beijing_date(test.tested_at), beijing_date(deadline))
    return not all(schedule_known(day) for day in days)


def current_deadline(case: ComplianceCase, test: RapidTest | None) -> datetime:
    """The re-test deadline counted with the calendar known now, not the one stored.

    A lab case opened before its year's holiday schedule was known was counted Monday to
    Friday (`deadline_estimated`). Once the schedule file names that year (read when the
    service starts), the law's 5th working day is the deadline: it is counted again from
    the test. `retest_deadline` keeps what was counted when the case opened; a rapid test's
    4 hours never depend on the calendar.
    """
    if test is None or test.method in RAPID_METHODS:
        return case.retest_deadline
    return retest_deadline(test)


def current_deadlines(session: Session, cases: list[ComplianceCase]) -> dict[int, datetime]:
    """`current_deadline` of each case (by id), its tests read in one query."""
    ids = {case.test_id for case in cases}
    tests = {
        test.id: test
        for test in session.exec(select(RapidTest).where(col(RapidTest.id).in_(ids))).all()
    }
    return {case.id or 0: current_deadline(case, tests.get(case.test_id)) for case in cases}


def revocation_reason(test: RapidTest) -> str:
    what = METHOD_ZH[TestMethod(test.method)] + (f"（{test.target}）" if test.target else "")
    day = format_beijing(test.tested_at, DAY)  # the day on the test sheet, not in UTC
    return (
        f"抽检不合格：{day} {what}检测不合格（检测记录 T{test.id}），"
        "该批次合格证已撤销 / Failed test: certificates of this batch revoked"
    )[:300]


def open_case(
    session: Session, test: RapidTest, *, actor: str, now: datetime | None = None
) -> ComplianceCase:
    """Block the batch, revoke its certificates, open the case for the township."""
    now = now or utcnow()
    revoked = 0
    if test.batch_id is not None:
        certificates = session.exec(
            select(Certificate).where(
                Certificate.batch_id == test.batch_id,
                Certificate.status == CertificateStatus.VALID.value,
            )
        ).all()
        for certificate in certificates:
            if revoke_certificate(
                session, certificate, revocation_reason(test), actor=actor or "compliance", now=now
            ):
                revoked += 1
    case = ComplianceCase(
        test_id=test.id or 0,
        producer_id=test.producer_id,
        batch_id=test.batch_id,
        product_id=test.product_id,
        revoked_certificates=revoked,
        retest_deadline=retest_deadline(test),
        opened_at=now,
    )
    what = f"opened: failed test T{test.id}, {revoked} certificate(s) revoked"
    # a sample of an unknown seller (or of no batch or product) leaves nothing for
    # `blocking_case` to find: the history says so. `blocking` stays "not lifted", which
    # the credit grade reads as a failed test not overturned.
    if blocks_issuing(case):
        _note(case, actor, now, "opened", what, test=test.id, revoked=revoked)
    else:
        _note(
            case,
            actor,
            now,
            "opened_unlinked",
            f"{what}; no batch or product to block",
            test=test.id,
        )
    session.add(case)
    session.flush()
    audit_case(
        session,
        case,
        actor,
        "open",
        after={
            "test_id": test.id,
            "producer_id": case.producer_id,
            "batch_id": case.batch_id,
            "product_id": case.product_id,
            "revoked_certificates": revoked,
        },
    )
    return case


def get_case(session: Session, case_id: int) -> ComplianceCase:
    case = record_by_id(session, ComplianceCase, case_id)
    if case is None:
        raise NotFound("找不到该案件。", "No such case.", code="case_not_found")
    return case


def sampled_in(session: Session, case: ComplianceCase) -> int | None:
    """The township where the case's failed sample was taken (its test's `township_id`):
    what places an unknown seller's case in a supervisor's townships (`policy.allowed`)."""
    test = session.get(RapidTest, case.test_id)
    return None if test is None else test.township_id


def _open(case: ComplianceCase) -> None:
    if case.state == CaseState.CLOSED:
        raise Conflict("该案件已结案。", "The case is closed.", code="case_closed")


def record_disposal(
    session: Session,
    case: ComplianceCase,
    disposal: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> ComplianceCase:
    """不合格处置: what was done with the failed produce (destroyed, withheld from sale …)."""
    _open(case)
    text = (disposal or "").strip()
    if not text or len(text) > DISPOSAL_MAX:
        raise ValidationFailed(
            f"请填写处置措施（不超过 {DISPOSAL_MAX} 字）。",
            f"Describe the disposal ({DISPOSAL_MAX} characters at most).",
            code="disposal_required",
        )
    now = now or utcnow()
    before = {"disposal": case.disposal}
    case.disposal, case.disposal_at = text, now
    _note(case, actor, now, "disposal", f"disposal: {text}", disposal=text)
    session.add(case)
    session.flush()
    audit_case(session, case, actor, "disposal", before=before, after={"disposal": text})
    return case


def request_retest(
    session: Session, case: ComplianceCase, *, actor: str, now: datetime | None = None
) -> ComplianceCase:
    """The producer asks for a re-test; only inside the window."""
    _open(case)
    now = now or utcnow()
    if case.retest_requested_at is not None:
        return case
    deadline = current_deadline(case, session.get(RapidTest, case.test_id))
    if now > deadline:
        raise Conflict(
            f"复检申请期已过（截止北京时间 {format_beijing(deadline)}）。",
            f"The re-test window closed at {format_beijing(deadline)} Beijing time.",
            code="retest_window_closed",
        )
    before = {"state": case.state}
    case.retest_requested_at = now
    case.state = CaseState.RETEST_REQUESTED.value
    _note(case, actor, now, "retest_requested", "re-test requested")
    session.add(case)
    session.flush()
    audit_case(
        session, case, actor, "retest_request", before=before, after={"retest_requested_at": now}
    )
    return case


def awaits_retest(case: ComplianceCase) -> bool:
    """Whether the case may still take its re-test: open, and none recorded yet."""
    return case.state != CaseState.CLOSED and case.retest_test_id is None


def require_awaiting_retest(case: ComplianceCase) -> None:
    """Refuse a re-test for a closed case or one that has its re-test already.

    The law grants the tested party one re-test (农产品质量安全法 Art. 51), and its
    conclusion is final: a second one would overwrite the first and could lift a block
    the first re-test kept. A case under investigation without a re-test still takes one,
    since starting the investigation does not end the producer's right to ask.
    """
    _open(case)
    if case.retest_test_id is not None:
        raise Conflict(
            f"案件 #{case.id} 已录入复检 T{case.retest_test_id}，复检结论为最终结论，"
            "不再受理第二次复检。",
            f"Case #{case.id} already has its re-test, T{case.retest_test_id}; a re-test's "
            "conclusion is final, so a second re-test is not accepted.",
            code="retest_already_recorded",
        )


def _locked_case(session: Session, case_id: int) -> ComplianceCase:
    """The case read afresh with its row locked (PostgreSQL), so that two re-tests sent
    at once are taken one after the other and the second sees the first."""
    case = session.exec(
        select(ComplianceCase)
        .where(ComplianceCase.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if case is None:
        raise NotFound("找不到该案件。", "No such case.", code="case_not_found")
    return case


def _require_after_failed_test(test: RapidTest, original: RapidTest) -> None:
    """A re-test examines the retained sample after the failed test: one dated at or before
    it cannot be its re-test (a date typed wrong, or another test entered as one), and
    taking it would let an earlier result lift the block the failure set."""
    if test.tested_at <= original.tested_at:
        raise ValidationFailed(
            f"复检的检测时间（tested_at，北京时间 {format_beijing(test.tested_at)}）须晚于"
            f"原不合格检测 T{original.id} 的检测时间（{format_beijing(original.tested_at)}）。",
            f"A re-test's tested_at ({format_beijing(test.tested_at)} Beijing time) must be "
            f"after that of failed test T{original.id} ({format_beijing(original.tested_at)}).",
            code="retest_before_failed_test",
            details={"field": "tested_at"},
        )


def same_lab(first: str, second: str) -> bool:
    """Whether two lab names written on reports name one lab: compared as written, after
    spaces, full-width brackets and case (there is no register of labs to match them by)."""
    return normalise(first) == normalise(second)


def _require_another_lab(test: RapidTest, original: RapidTest) -> None:
    """A lab result is re-tested by another lab (复检由另一家有资质的检测机构承担,
    农产品质量安全法 Art. 51): the lab that reported the failure cannot confirm or overturn
    its own result. A failed rapid test may be re-tested by any lab."""
    if original.method != TestMethod.LAB_REPORT or not same_lab(test.lab_name, original.lab_name):
        return
    raise ValidationFailed(
        f"原不合格检测 T{original.id} 由“{original.lab_name}”出具，复检须由另一家有资质的检测机构"
        "承担，请录入其他检测机构的复检报告。",
        f"Failed test T{original.id} was reported by “{original.lab_name}”: the re-test must "
        "be done by another qualified lab; enter the other lab's report.",
        code="retest_same_lab",
        details={"field": "lab_name", "first_lab": original.lab_name},
    )


def record_retest(
    session: Session, case_id: int, test: RapidTest, *, actor: str, now: datetime | None = None
) -> RapidTest:
    """Store the re-test, the case's only one; a pass asked for inside the window lifts
    the block."""
    now = now or utcnow()
    case = _locked_case(session, case_id)
    require_awaiting_retest(case)
    if test.method in RAPID_METHODS:
        raise ValidationFailed(
            "复检不得采用快速检测方法，请录入实验室检测报告。",
            "A re-test must not use a rapid method; enter a lab report.",
            code="retest_must_not_be_rapid",
        )
    original = session.get(RapidTest, case.test_id)
    if original is not None and any(
        getattr(test, name) not in (None, getattr(original, name))
        for name in ("producer_id", "batch_id", "product_id")
    ):
        raise ValidationFailed(
            f"复检的样品须与原不合格检测 T{original.id} 相同（同一生产主体、批次和产品）。",
            f"A re-test samples what failed test T{original.id} sampled: the same producer, "
            "batch and product.",
            code="retest_subject_mismatch",
        )
    if original is not None:
        _require_after_failed_test(test, original)
        _require_another_lab(test, original)
        test.producer_id = test.producer_id or original.producer_id
        test.batch_id = test.batch_id or original.batch_id
        test.product_id = test.product_id or original.product_id
    test.retest_of_case_id = case.id
    store_test(session, test)
    requested = case.retest_requested_at or now
    in_window = requested <= current_deadline(case, original)
    before = {"state": case.state, "blocking": case.blocking}
    case.retest_requested_at = requested
    case.retest_test_id = test.id
    passed = test.result == TestResult.PASS
    lifted = in_window and passed
    if lifted:
        case.blocking = False
    case.state = CaseState.INVESTIGATING.value
    what = "passed" if passed else "failed"
    window = "inside" if in_window else "outside"
    event = "retest_failed" if not passed else "retest_passed" if lifted else "retest_passed_late"
    _note(
        case,
        actor,
        now,
        event,
        f"re-test T{test.id} {what}, asked {window} the window"
        + ("; block lifted" if lifted else "; block stays"),
        test=test.id,
    )
    session.add(case)
    session.flush()
    audit_case(
        session,
        case,
        actor,
        "retest",
        before=before,
        after={"retest_test_id": test.id, "result": test.result, "asked_in_window": in_window},
    )
    return test


def start_investigation(
    session: Session, case: ComplianceCase, *, actor: str, now: datetime | None = None
) -> ComplianceCase:
    _open(case)
    now = now or utcnow()
    before = {"state": case.state}
    case.state = CaseState.INVESTIGATING.value
    _note(case, actor, now, "investigating", "investigating")
    session.add(case)
    session.flush()
    audit_case(session, case, actor, "investigate", before=before)
    return case


OUTCOME_EN = {
    CaseOutcome.PENALTY: "Administrative penalty",
    CaseOutcome.WARNING: "Warning / order to correct",
    CaseOutcome.CLEARED: "Cleared (restriction lifted)",
}
"""`OUTCOME_ZH` as the English page's dropdown shows it (the catalogue's translations), for
messages that must name the choices the person sees."""


def _outcome(value: str) -> CaseOutcome:
    if value not in {o.value for o in CaseOutcome}:
        raise ValidationFailed(
            f"请选择结案结果：{'、'.join(OUTCOME_ZH.values())}。",
            f"Choose the outcome: {', '.join(OUTCOME_EN.values())}.",
            code="invalid_outcome",
            details={"field": "outcome", "choices": [o.value for o in CaseOutcome]},
        )
    return CaseOutcome(value)


def closing_refusal(
    session: Session, case: ComplianceCase, outcome: CaseOutcome, now: datetime
) -> Conflict | None:
    """An adverse outcome (penalty, warning) only once the producer's re-test is settled.

    The tested party may ask for one re-test inside the window and its conclusion is final
    (农产品质量安全法 Art. 50/51): a decision taken before that would pre-empt it, and closing
    the case ends the right to ask. So a penalty or warning waits until a re-test is recorded,
    or the window has passed with none asked for; a penalty never follows a re-test that
    passed in time (it overturned the failure). The failed produce must have been dealt with
    (不合格处置) first. Clearing favours the producer and may come at any time.

    The refusal (None: the outcome may be taken now) is what `close_case` raises and what
    the case page shows beside an outcome it cannot offer yet.
    """
    if outcome == CaseOutcome.CLEARED:
        return None
    label_zh, label_en = OUTCOME_ZH[outcome], OUTCOME_EN[outcome]
    if case.retest_test_id is None:
        if case.retest_requested_at is not None:
            return Conflict(
                f"已于北京时间 {format_beijing(case.retest_requested_at)} 申请复检，须录入复检结果"
                f"后才能以“{label_zh}”结案。",
                f"A re-test was requested at {format_beijing(case.retest_requested_at)} Beijing "
                f"time: enter its result before closing with “{label_en}”.",
                code="retest_pending",
            )
        deadline = current_deadline(case, session.get(RapidTest, case.test_id))
        if now <= deadline:
            return Conflict(
                f"复检申请期至北京时间 {format_beijing(deadline)} 截止，期内不能以“{label_zh}”"
                "结案：生产者有权申请复检。期满后再结案，或以“排除（解除限制）”结案。",
                f"The re-test window runs until {format_beijing(deadline)} Beijing time; the "
                f"producer may ask for a re-test until then, so the case cannot close with "
                f"“{label_en}” yet. Close it after the window, or as “Cleared (restriction "
                "lifted)”.",
                code="retest_window_open",
                details={"retest_deadline": deadline.isoformat()},
            )
    elif outcome == CaseOutcome.PENALTY and not case.blocking:
        return Conflict(
            f"复检 T{case.retest_test_id} 在申请期内合格，推翻了原检测结论，不能以“{label_zh}”"
            "结案。",
            f"Re-test T{case.retest_test_id}, asked for in time, passed and overturned the "
            f"failed test: the case cannot close with “{label_en}”.",
            code="retest_overturned",
        )
    if not case.disposal:
        return Conflict(
            f"请先登记处置措施（不合格产品如何处置），再以“{label_zh}”结案。",
            f"Record the disposal (what was done with the failed produce) before closing with "
            f"“{label_en}”.",
            code="disposal_missing",
        )
    return None


def close_case(
    session: Session,
    case: ComplianceCase,
    outcome: str,
    note: str = "",
    *,
    actor: str,
    now: datetime | None = None,
) -> ComplianceCase:
    """Close with penalty, warning or cleared, saying why (the note: the decision's basis,
    such as the penalty decision's number); only 'cleared' lifts the block."""
    _open(case)
    decided = _outcome(outcome)
    text = (note or "").strip()
    if not text or len(text) > CLOSE_NOTE_MAX:
        raise ValidationFailed(
            f"请填写结案说明（结案依据，如处罚决定书文号；不超过 {CLOSE_NOTE_MAX} 字）。",
            "Give the closing note (the grounds, such as the penalty decision's number; "
            f"{CLOSE_NOTE_MAX} characters at most).",
            code="close_note_required",
            details={"field": "note"},
        )
    now = now or utcnow()
    refusal = closing_refusal(session, case, decided, now)
    if refusal is not None:
        raise refusal
    before = {"state": case.state, "blocking": case.blocking}
    case.state, case.outcome, case.outcome_note, case.closed_at = (
        CaseState.CLOSED.value,
        decided.value,
        text,
        now,
    )
    if decided == CaseOutcome.CLEARED:
        case.blocking = False
    _note(case, actor, now, f"closed_{decided.value}", f"closed: {decided.value}")
    session.add(case)
    session.flush()
    audit_case(
        session,
        case,
        actor,
        "close",
        before=before,
        after={"outcome": decided.value},
        reason=case.outcome_note,
    )
    return case


def blocks_issuing(case: ComplianceCase) -> bool:
    """Whether the case can stop a certificate at all: only with a batch or a product."""
    return case.batch_id is not None or case.product_id is not None


def blocking_case(
    session: Session, producer_id: int, batch_id: int | None, product_id: int | None
) -> ComplianceCase | None:
    """The open block on this batch (or, for a test without a batch, on the product)."""
    conditions: list[Any] = []
    if batch_id is not None:
        conditions.append(ComplianceCase.batch_id == batch_id)
    if product_id is not None:
        conditions.append(
            (col(ComplianceCase.batch_id).is_(None))
            & (ComplianceCase.producer_id == producer_id)
            & (ComplianceCase.product_id == product_id)
        )
    if not conditions:
        return None
    return session.exec(
        select(ComplianceCase)
        .where(col(ComplianceCase.blocking).is_(True), or_(*conditions))
        .order_by(col(ComplianceCase.id).desc())
    ).first()


def case_dicts(session: Session, cases: list[ComplianceCase]) -> list[dict[str, Any]]:
    """The API's view of each case, its deadline counted with the calendar known now."""
    deadlines = current_deadlines(session, cases)
    return [case_dict(case, deadlines[case.id or 0]) for case in cases]


def case_dict(case: ComplianceCase, deadline: datetime) -> dict[str, Any]:
    return {
        "id": case.id,
        "test_id": case.test_id,
        "producer_id": case.producer_id,
        "batch_id": case.batch_id,
        "product_id": case.product_id,
        "state": case.state,
        "state_zh": STATE_ZH[CaseState(case.state)],
        "blocking": case.blocking,
        "revoked_certificates": case.revoked_certificates,
        "retest_deadline": deadline.isoformat(),
        "retest_requested_at": case.retest_requested_at.isoformat()
        if case.retest_requested_at
        else None,
        "retest_test_id": case.retest_test_id,
        "disposal": case.disposal,
        "outcome": case.outcome,
        "outcome_note": case.outcome_note,
        "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "history": case.history,
    }
