"""What the compliance pages say about tests and 检打联动 cases, in the page's language.

The domain keeps a case's history as it always has (an English `what` per entry, which the
API shows) and, since it is shown to people, an `event` with its values; the pages read
either, through `cases.history_event`, and show it translated and in Beijing time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlmodel import Session, col, or_, select

from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.compliance.actors import actor_names
from traceability.compliance.case_history import history_event
from traceability.models.compliance import ComplianceCase, RapidTest, TestResult


@dataclass(frozen=True)
class HistoryLine:
    at: datetime | None
    at_as_stored: str  # shown when `at` could not be read
    text: str
    actor: str  # the person, token or terminal by name (`actors.actor_names`)


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def history_text(entry: dict[str, Any]) -> str:
    """One history entry in the page's language; a line of unknown form as stored."""
    found = history_event(entry)
    if found is not None:
        label, values = found
        try:
            return _(label) % values
        except (KeyError, TypeError, ValueError):
            pass  # values that do not fit the label: the stored line says it
    return str(entry.get("what") or "")


def history_lines(session: Session, case: ComplianceCase) -> list[HistoryLine]:
    """The case's history as the page shows it: who acted is named, not keyed."""
    actors = [str(entry.get("actor") or "") for entry in case.history]
    names = actor_names(session, actors)
    return [
        HistoryLine(
            _moment(entry.get("at")),
            str(entry.get("at") or ""),
            history_text(entry),
            names[actor],
        )
        for entry, actor in zip(case.history, actors, strict=True)
    ]


def saved_test_message(session: Session, test: RapidTest) -> tuple[str, str]:
    """The flash after a test is saved: what it set off, as it happened (a sample without a
    batch blocks its product; one of an unknown seller blocks nothing)."""
    if test.result == TestResult.PASS:
        return _("已登记检测记录 T%(id)s：合格。", id=test.id), "ok"
    case = session.exec(select(ComplianceCase).where(ComplianceCase.test_id == test.id)).first()
    if case is None:  # a failure always opens its case; said plainly should it not have
        return _("已登记检测记录 T%(id)s：不合格。", id=test.id), "warn"
    if case.batch_id is not None and case.revoked_certificates:
        text = _(
            "已登记检测记录 T%(id)s：不合格，已开立案件 #%(case)s，撤销该批次有效合格证 "
            "%(count)s 张，该批次暂停开具合格证。",
            id=test.id,
            case=case.id,
            count=case.revoked_certificates,
        )
        return text, "warn"
    if case.batch_id is not None:
        text = _(
            "已登记检测记录 T%(id)s：不合格，已开立案件 #%(case)s，该批次暂停开具合格证。"
            "该批次没有有效的合格证，未撤销任何合格证。",
            id=test.id,
            case=case.id,
        )
        return text, "warn"
    if case.product_id is not None:
        text = _(
            "已登记检测记录 T%(id)s：不合格，已开立案件 #%(case)s，该产品暂停开具合格证。",
            id=test.id,
            case=case.id,
        )
    else:
        text = _(
            "已登记检测记录 T%(id)s：不合格，已开立案件 #%(case)s。样品未关联批次或产品，"
            "没有撤销或限制任何合格证。",
            id=test.id,
            case=case.id,
        )
    return text, "warn"


def saved_retest_message(case: ComplianceCase, test: RapidTest) -> tuple[str, str]:
    """The flash after a re-test is saved: whether it lifted the block, from the case's
    history line that `record_retest` wrote."""
    event = case.history[-1].get("event") if case.history else None
    if event == "retest_passed":
        text = _(
            "已登记复检 T%(id)s（案件 #%(case)s）：合格，已解除开具限制。", id=test.id, case=case.id
        )
        return text, "ok"
    if event == "retest_passed_late":
        text = _(
            "已登记复检 T%(id)s（案件 #%(case)s）：合格，但复检申请已过申请期，开具限制不变。",
            id=test.id,
            case=case.id,
        )
        return text, "warn"
    text = _(
        "已登记复检 T%(id)s（案件 #%(case)s）：不合格，开具限制不变。", id=test.id, case=case.id
    )
    return text, "warn"


class CaseLink(NamedTuple):
    case_id: int
    readable: bool  # may the caller open the case page


def case_links(
    session: Session, principal: Principal, tests: Sequence[RapidTest]
) -> dict[int, CaseLink]:
    """The case of each failed test and of each re-test in the list, by test id, in one query."""
    failed = {t.id for t in tests if t.result == TestResult.FAIL and not t.retest_of_case_id}
    retests = {t.id: t.retest_of_case_id for t in tests if t.retest_of_case_id}
    if not failed and not retests:
        return {}
    found = session.exec(
        select(
            ComplianceCase.id,
            ComplianceCase.test_id,
            ComplianceCase.producer_id,
            RapidTest.township_id,
        )
        .join(RapidTest, col(RapidTest.id) == ComplianceCase.test_id)
        .where(
            or_(
                col(ComplianceCase.test_id).in_(failed or {-1}),
                col(ComplianceCase.id).in_(set(retests.values()) or {-1}),
            )
        )
    ).all()
    producers = {case_id: producer_id for case_id, _test, producer_id, _t in found}
    sampled_in = {case_id: township for case_id, _test, _p, township in found}
    readable = policy.allowed_producers(
        principal, "case.read", {p for p in producers.values() if p is not None}, session=session
    )

    def link(case_id: int) -> CaseLink:
        producer_id = producers.get(case_id)
        if producer_id is not None:
            return CaseLink(case_id, producer_id in readable)
        # an unknown seller's case: by the township where the sample was taken
        where = sampled_in.get(case_id)
        return CaseLink(case_id, policy.allowed(principal, "case.read", None, sampled_in=where))

    links = {test_id: link(case_id or 0) for case_id, test_id, _p, _t in found if test_id in failed}
    links.update({test_id: link(case_id) for test_id, case_id in retests.items() if test_id})
    return links
