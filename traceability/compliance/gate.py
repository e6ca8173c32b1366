"""The issuing gate: no certificate that the producer's own records contradict.

Runs inside every `issue_certificate` (API, CLI, kiosk, pages). It refuses, in words a
producer understands, when the batch used a banned substance or one restricted for its
crop, when the harvest falls inside a pre-harvest interval or withdrawal period, when a
test basis has no passing linked test or its tests do not cover the drugs the batch was
treated with (用什么药、检什么药), when the latest test failed or the batch is blocked
after a failed test. Every refusal is recorded with the list version it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from traceability.beijing_time import DAY, format_beijing
from traceability.compliance import coverage, reference
from traceability.compliance.cases import blocking_case
from traceability.compliance.names import names_in, normalise
from traceability.compliance.records import (
    crop_groups_of,
    entries_for,
    interval_entries_for,
    is_animal,
)
from traceability.compliance.refusals import IssueRefused, PendingRefusal, queue_refusal
from traceability.compliance.testing import METHOD_ZH
from traceability.errors import DomainError, ValidationFailed
from traceability.models import Product
from traceability.models.compliance import (
    InputUse,
    IntervalDefault,
    RapidTest,
    ReferenceKind,
    ReferenceSubstance,
    TestMethod,
    TestResult,
)

if TYPE_CHECKING:
    from traceability.issuing.service import IssueContext, IssueRequest
    from traceability.issuing.templates import BasisOption


def aliases(row: ReferenceSubstance) -> set[str]:
    """The names a list row answers to: 呋喃丹（克百威） is also 呋喃丹 and 克百威."""
    return names_in(row.substance_zh, row.substance_en)


def matching_rows(entry: InputUse, rows: list[ReferenceSubstance]) -> list[ReferenceSubstance]:
    """Rows named by the entry: its substance exactly, or a listed name in its trade name."""
    substance = normalise(entry.substance)
    found = [row for row in rows if substance in aliases(row)]
    if found:
        return found
    text = f"{substance}|{normalise(entry.product_name)}"
    pairs = sorted(
        ((name, row) for row in rows for name in aliases(row) if len(name) >= 2),
        key=lambda pair: -len(pair[0]),
    )
    for name, row in pairs:
        if name.isascii() and len(name) < 5:
            continue
        if name in text:
            found.append(row)
            text = text.replace(name, "|")
    return found


@dataclass
class Finding:
    reason: str
    zh: str
    en: str
    version: reference.ListVersion | None = None
    source: str | None = None


def _basis_line(version: reference.ListVersion, source: str) -> tuple[str, str]:
    return (
        f"（依据：{source}；名录版本 {version.label}）",
        f" (source: {source}; list version {version.label})",
    )


SubstanceLists = dict[ReferenceKind, list[ReferenceSubstance]]


def _substance_lists(session: Session) -> SubstanceLists:
    """The lists, read once per decision rather than once per entry."""
    return {kind: reference.substances(session, kind) for kind in reference.SUBSTANCE_KINDS}


def _substance_finding(
    session: Session,
    entry: InputUse,
    groups: set[str],
    product_label: str,
    lists: SubstanceLists,
) -> Finding | None:
    for kind, rows in lists.items():
        for row in matching_rows(entry, rows):
            if row.effective_from and entry.used_on < row.effective_from:
                continue
            if row.except_methods and any(
                m and m in entry.method for m in row.except_methods.split(";")
            ):
                continue
            version = reference.current_version(session, kind)
            zh_basis, en_basis = _basis_line(version, row.source)
            title = reference.KIND_ZH[kind]
            if row.scope == "all":
                return Finding(
                    "banned_substance",
                    f"不能开具合格证：{entry.used_on} 使用的“{entry.substance}”"
                    f"属于{title}中的禁用物质“{row.substance_zh}”，使用过禁用物质的产品不能承诺达标。{zh_basis}",
                    f"Cannot issue: {entry.substance!r} used on {entry.used_on} is the banned "
                    f"substance {row.substance_en or row.substance_zh}.{en_basis}",
                    version,
                    row.source,
                )
            applies = ("*" in row.crop_groups and not is_animal(groups)) or bool(
                groups & set(row.crop_groups)
            )
            if applies:
                group = "、".join(sorted(groups & set(row.crop_groups))) or "食用作物"
                return Finding(
                    "restricted_substance",
                    f"不能开具合格证：“{row.substance_zh}”禁止用于{group}，本批次{product_label}"
                    f"于 {entry.used_on} 使用过（{entry.substance}）。{zh_basis}",
                    f"Cannot issue: {row.substance_en or row.substance_zh} must not be used on "
                    f"{group}; this {product_label} was treated with it on {entry.used_on}."
                    f"{en_basis}",
                    version,
                    row.source,
                )
    return None


def _default_interval(
    entry: InputUse, groups: set[str], product_name: str, defaults: list[IntervalDefault]
) -> IntervalDefault | None:
    substance = normalise(entry.substance)
    for row in defaults:
        if normalise(row.substance) != substance:
            continue
        if row.applies_to in groups or row.applies_to == product_name:
            return row
    return None


def _interval_finding(
    session: Session,
    entry: InputUse,
    groups: set[str],
    product_name: str,
    harvest: date,
    defaults: list[IntervalDefault],
) -> Finding | None:
    days, default = entry.interval_days, None
    if days is None:
        default = _default_interval(entry, groups, product_name, defaults)
        days = default.days if default else None
    if days is None:
        return None  # nothing on record to check against; never guess a number
    safe_from = entry.used_on + timedelta(days=days)
    if harvest >= safe_from:
        return None
    animal = is_animal(groups)
    term_zh, term_en = (
        ("休药期", "withdrawal period") if animal else ("安全间隔期", "pre-harvest interval")
    )
    act_zh = "屠宰/捕捞/收获" if animal else "采收"
    version = source = None
    zh_basis = en_basis = ""
    if default is not None:
        version = reference.current_version(session, ReferenceKind.INTERVAL)
        source = default.source
        zh_basis, en_basis = _basis_line(version, default.source)
    else:
        zh_basis, en_basis = "（天数取自投入品使用记录）", " (days as recorded with the input use)"
    return Finding(
        "withdrawal_period" if animal else "pre_harvest_interval",
        f"不能开具合格证：{entry.used_on} 使用的“{entry.substance}”{term_zh}为 {days} 天，"
        f"{safe_from} 起才能{act_zh}；本批次{act_zh}日期 {harvest} 仍在{term_zh}内。{zh_basis}",
        f"Cannot issue: {entry.substance!r} used on {entry.used_on} has a {days}-day {term_en}; "
        f"harvest is allowed from {safe_from}, but this batch was harvested on {harvest}."
        f"{en_basis}",
        version,
        source,
    )


def _linked_tests(ctx: IssueContext) -> list[RapidTest]:
    tests = []
    for test_id in ctx.request.test_ids:
        test = ctx.session.get(RapidTest, test_id)
        if test is None or test.producer_id != ctx.producer.id:
            raise ValidationFailed(
                f"找不到检测记录 {test_id}。",
                f"No test {test_id} for this producer.",
                code="test_not_found",
            )
        if ctx.batch is not None and test.batch_id not in (None, ctx.batch.id):
            raise ValidationFailed(
                f"检测记录 {test_id} 属于另一个批次，不能用于这张合格证，请重新选择检测记录。",
                f"Test {test_id} belongs to another batch and cannot back this certificate;"
                " choose the tests again.",
                code="test_other_batch",
            )
        product = ctx.product
        if (
            product is not None
            and test.product_id != product.id
            and (test.product_id is not None or test.product_name != product.name)
        ):
            raise ValidationFailed(
                f"检测记录 {test_id} 检测的不是“{product.name}”，不能用于这张合格证。",
                f"Test {test_id} is not of {product.name}; it cannot back this certificate.",
                code="test_other_product",
            )
        tests.append(test)
    return tests


def _tested_basis(ctx: IssueContext) -> list[BasisOption]:
    return [o for o in ctx.template.basis if o.requires_test and o.code in ctx.basis_codes]


def _test_finding(ctx: IssueContext, tests: list[RapidTest]) -> Finding | None:
    needs_test = _tested_basis(ctx)
    failed = [t for t in tests if t.result == TestResult.FAIL]
    if failed:
        test = failed[0]
        day = format_beijing(test.tested_at, DAY)
        return Finding(
            "linked_test_failed",
            f"不能开具合格证：关联的检测记录 T{test.id}（{day} "
            f"{METHOD_ZH[TestMethod(test.method)]}）结果不合格。",
            f"Cannot issue: the linked test T{test.id} of {day} failed.",
        )
    if needs_test and not tests:
        basis = "、".join(o.zh for o in needs_test)
        return Finding(
            "test_required",
            f"不能开具合格证：承诺依据“{basis}”须关联一份合格的检测记录（快检或检测报告）。",
            f"Cannot issue: the basis {', '.join(o.en for o in needs_test)!r} needs a linked "
            "passing test (rapid test or lab report).",
        )
    return None


def _coverage_finding(
    ctx: IssueContext, entries: list[InputUse], tests: list[RapidTest]
) -> Finding | None:
    """用什么药、检什么药: a tested basis promises the drugs used were tested for."""
    if not tests or not _tested_basis(ctx):
        return None
    used, missing = coverage.uncovered(entries, tests)
    if not missing:
        return None
    names_zh = "、".join(s.zh for s in missing)
    names_en = ", ".join(s.en for s in missing)
    strip_zh, strip_en = coverage.strip_hint(missing, card="胶体金试纸条")
    hint_zh = f"{strip_zh}或检测报告"
    hint_en = f"{strip_en} or a lab report"
    if all(s.chemical_class in coverage.ENZYME_CLASSES for s in missing):
        hint_zh = f"酶抑制率法快检、{hint_zh}"
        hint_en = f"an enzyme-inhibition rapid test, {hint_en}"
    return Finding(
        "test_not_covering",
        f"不能开具合格证：本批次使用过 {'、'.join(s.zh for s in used)}，所关联的检测未覆盖："
        f"{names_zh}。请关联覆盖这些药物的检测（如{hint_zh}），或改选承诺依据。",
        f"Cannot issue: this batch was treated with {', '.join(s.en for s in used)}; the linked "
        f"tests do not cover {names_en}. Link a test that covers them (such as {hint_en}), or "
        "choose another basis for the promise.",
    )


def _batch_test_finding(ctx: IssueContext) -> Finding | None:
    product_id = ctx.product.id if ctx.product else None
    batch_id = ctx.batch.id if ctx.batch else None
    if batch_id is not None:
        latest = ctx.session.exec(
            select(RapidTest)
            .where(RapidTest.batch_id == batch_id)
            .order_by(col(RapidTest.tested_at).desc(), col(RapidTest.id).desc())
        ).first()
        if latest is not None and latest.result == TestResult.FAIL:
            return Finding(
                "latest_test_failed",
                f"不能开具合格证：本批次最近一次检测（{format_beijing(latest.tested_at, DAY)} "
                f"{METHOD_ZH[TestMethod(latest.method)]}，记录 T{latest.id}）结果不合格。",
                f"Cannot issue: the latest test of this batch (T{latest.id}, "
                f"{format_beijing(latest.tested_at, DAY)}) failed.",
            )
    case = blocking_case(ctx.session, ctx.producer.id or 0, batch_id, product_id)
    if case is not None:
        return Finding(
            "batch_blocked",
            f"不能开具合格证：因检测不合格（案件 #{case.id}），"
            f"该{'批次' if case.batch_id else '产品'}已被限制开具；"
            "复检申请期内复检合格或乡镇监管站结案排除后方可开具。",
            f"Cannot issue: blocked after a failed test (case #{case.id}) until a re-test asked "
            "for within the window passes or the township supervisor clears the case.",
        )
    return None


def _record(
    ctx_session: Session, req: IssueRequest, finding: Finding, now: datetime, product: str = ""
) -> None:
    queue_refusal(
        ctx_session,
        PendingRefusal(
            producer_id=req.producer_id,
            batch_id=req.batch_id,
            product_name=(product or req.product_name or "")[:100],
            reason=finding.reason,
            message_zh=finding.zh[:1000],
            message_en=finding.en[:1000],
            list_version=finding.version.label if finding.version else None,
            source=finding.source[:200] if finding.source else None,
            channel=req.channel[:16],
            at=now,
        ),
    )


def _refuse(ctx: IssueContext, finding: Finding) -> None:
    product = ctx.product.name if ctx.product else ""
    _record(ctx.session, ctx.request, finding, ctx.now, product)
    details = {"reason": finding.reason}
    if finding.version is not None:
        details["list_version"] = finding.version.label
    if finding.source:
        details["source"] = finding.source
    raise IssueRefused(finding.zh, finding.en, code=finding.reason, details=details)


def compliance_gate(ctx: IssueContext) -> None:
    """Refuse an issue the producer's own records contradict (see the module docstring)."""
    product_name = ctx.product.name if ctx.product else (ctx.request.product_name or "")
    groups = crop_groups_of(ctx.product, product_name)
    harvest = (ctx.batch.harvest_date if ctx.batch else None) or ctx.issue_date
    entries = entries_for(
        ctx.session,
        ctx.product.id if ctx.product else None,
        ctx.batch.id if ctx.batch else None,
        harvest,
    )
    label = f"“{product_name}”" if product_name else ""
    lists = _substance_lists(ctx.session) if entries else {}
    for entry in entries:
        finding = _substance_finding(ctx.session, entry, groups, label, lists)
        if finding is not None:
            _refuse(ctx, finding)
    timed = interval_entries_for(
        ctx.session,
        ctx.product.id if ctx.product else None,
        ctx.batch.id if ctx.batch else None,
        harvest,
    )
    defaults = reference.interval_defaults(ctx.session) if timed else []
    for entry in timed:
        finding = _interval_finding(ctx.session, entry, groups, product_name, harvest, defaults)
        if finding is not None:
            _refuse(ctx, finding)
    tests = _linked_tests(ctx)
    finding = (
        _test_finding(ctx, tests)
        or _batch_test_finding(ctx)
        or _coverage_finding(ctx, entries, tests)
    )
    if finding is not None:
        _refuse(ctx, finding)


def entry_finding(session: Session, entry: InputUse) -> Finding | None:
    """What the gate will say about this entry's substance when its harvest is certified.

    Told when the entry is written, a producer learns at once that a banned or restricted
    substance rules the harvest out, rather than at the kiosk on market day.
    """
    product = session.get(Product, entry.product_id) if entry.product_id else None
    name = product.name if product else ""
    return _substance_finding(
        session,
        entry,
        crop_groups_of(product, name),
        f"“{name}”" if name else "",
        _substance_lists(session),
    )


def record_refusal(session: Session, req: IssueRequest, exc: DomainError, now: datetime) -> None:
    """Refusals raised by issue_certificate itself (a suspended producer) are recorded too."""
    _record(session, req, Finding(exc.code, exc.message_zh, exc.message_en), now)
