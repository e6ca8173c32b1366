"""Rapid tests (快速检测) and lab reports: validate, store, and hand failures to 检打联动.

Enzyme inhibition follows GB/T 5009.199-2003: the inhibition rate decides, positive
(不合格) at 50 % or more; a rate outside 0–100 % is an invalid measurement, not a result.
Colloidal-gold strips read positive or negative for one target substance.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from traceability.beijing_time import CHINA, DAY, beijing_date, day_start, format_beijing
from traceability.compliance.audit_trail import audit_test
from traceability.compliance.reference import text_field
from traceability.db import record_by_id
from traceability.errors import Conflict, DomainError, NotFound, ValidationFailed
from traceability.models import Batch, Producer, Product
from traceability.models.compliance import (
    UNIQUE_NATURAL_KEY,
    UNIQUE_SUBMISSION_KEY,
    RapidTest,
    TestMethod,
    TestResult,
)
from traceability.models.types import utcnow
from traceability.translatable import N_

POSITIVE_AT = Decimal(50)  # GB/T 5009.199: inhibition rate ≥ 50 % is positive
RAPID_METHODS = {TestMethod.ENZYME_INHIBITION.value, TestMethod.COLLOIDAL_GOLD.value}
METHOD_ZH = {
    TestMethod.ENZYME_INHIBITION: N_("酶抑制率法"),
    TestMethod.COLLOIDAL_GOLD: N_("胶体金试纸条"),
    TestMethod.LAB_REPORT: N_("实验室检测"),
}
RESULT_ZH = {TestResult.PASS: N_("合格"), TestResult.FAIL: N_("不合格")}
_RESULT_WORDS = {
    "pass": TestResult.PASS,
    "negative": TestResult.PASS,
    "阴性": TestResult.PASS,
    "合格": TestResult.PASS,
    "fail": TestResult.FAIL,
    "positive": TestResult.FAIL,
    "阳性": TestResult.FAIL,
    "不合格": TestResult.FAIL,
}


def _invalid(zh: str, en: str, code: str = "invalid_test") -> ValidationFailed:
    return ValidationFailed(zh, en, code=code)


def inhibition_rate(value: Any) -> Decimal:
    """A valid rate in percent (0–100, two decimals), or ValidationFailed."""
    try:
        rate = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        rate = Decimal("NaN")
    if value is None or isinstance(value, bool) or not rate.is_finite():
        raise _invalid(
            "抑制率必须是数字（百分比）。",
            "The inhibition rate must be a number (percent).",
            "invalid_inhibition_rate",
        )
    if not Decimal(0) <= rate <= Decimal(100):
        raise _invalid(
            f"抑制率 {rate}% 超出 0–100%，测定无效，请重新检测。",
            f"An inhibition rate of {rate}% is outside 0–100%: the measurement is invalid; "
            "test again.",
            "invalid_inhibition_rate",
        )
    return rate.quantize(Decimal("0.01"))


def enzyme_result(rate: Decimal) -> TestResult:
    return TestResult.FAIL if rate >= POSITIVE_AT else TestResult.PASS


def _result(value: Any) -> TestResult:
    word = str(value or "").strip().lower()
    if word not in _RESULT_WORDS:
        raise _invalid(
            "检测结果须为 合格/不合格（阴性/阳性）。",
            "result must be pass/fail (negative/positive).",
            "invalid_result",
        )
    return _RESULT_WORDS[word]


def _tested_at(value: Any, now: datetime) -> datetime:
    if value in (None, ""):
        return now
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise _invalid(
                "检测时间格式应为 ISO 8601，例如 2026-03-01T09:30:00+08:00。",
                "tested_at must be ISO 8601, e.g. 2026-03-01T09:30:00+08:00.",
                "invalid_field",
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)  # instruments print local (Beijing) time
    return moment


CLOCK_SKEW = timedelta(minutes=10)  # an instrument's or a phone's clock a little ahead
PRE_HARVEST_DAYS = 30
"""How long before its harvest (slaughter, catch) a batch's sample may be tested: pre-harvest
field sampling (采前检测) and pre-slaughter tests come days before, never a season."""
OLDEST_TEST = timedelta(days=730)
"""How far back a test of no known harvest may be dated: the two years records are kept
(农产品质量安全法 Art. 27). Older is a typed year (2016 for 2026, 1900), not a test to act on."""


def _check_tested_at(moment: datetime, batch: Batch | None, now: datetime) -> None:
    """A test time the service can act on: not ahead of the clock (beyond its skew), not
    long before the batch's harvest, and for a sample of no known harvest not older than
    records are kept. A failed test revokes and blocks at once, so a mistyped date matters."""
    field = ("检测时间（tested_at）", "tested_at")
    if moment > now + CLOCK_SKEW:
        raise ValidationFailed(
            f"{field[0]} {format_beijing(moment)} 晚于当前时间。",
            f"{field[1]} {format_beijing(moment)} (Beijing time) is in the future.",
            code="invalid_field",
            details={"field": "tested_at"},
        )
    if batch is not None and batch.harvest_date is not None:
        earliest = day_start(batch.harvest_date - timedelta(days=PRE_HARVEST_DAYS))
        why_zh = f"早于该批次采收日期 {batch.harvest_date} 前 {PRE_HARVEST_DAYS} 天"
        why_en = (
            f"more than {PRE_HARVEST_DAYS} days before the batch's harvest on {batch.harvest_date}"
        )
    else:
        earliest = now - OLDEST_TEST
        why_zh = f"早于 {format_beijing(earliest, DAY)}（两年前）"
        why_en = f"before {format_beijing(earliest, DAY)} (two years ago)"
    if moment < earliest:
        raise ValidationFailed(
            f"{field[0]} {format_beijing(moment)} {why_zh}，请核对日期。",
            f"{field[1]} {format_beijing(moment)} (Beijing time) is {why_en}; check the date.",
            code="invalid_field",
            details={"field": "tested_at"},
        )


def _subject(
    session: Session, values: dict[str, Any]
) -> tuple[int | None, Batch | None, Product | None]:
    def integer(name: str) -> int | None:
        value = values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, str) and value.strip().isdecimal():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid(
                f"字段 {name} 必须是整数。", f"{name} must be an integer.", "invalid_field"
            )
        return value

    producer_id, batch_id, product_id = (
        integer("producer_id"),
        integer("batch_id"),
        integer("product_id"),
    )
    batch = record_by_id(session, Batch, batch_id) if batch_id else None
    if batch_id and batch is None:
        raise NotFound("找不到该批次。", "No such batch.", code="batch_not_found")
    if batch is not None:
        if producer_id not in (None, batch.producer_id):
            raise _invalid("批次不属于该生产主体。", "The batch belongs to another producer.")
        producer_id, product_id = batch.producer_id, batch.product_id
    if producer_id is not None and record_by_id(session, Producer, producer_id) is None:
        raise NotFound("找不到该生产主体。", "No such producer.", code="producer_not_found")
    product = record_by_id(session, Product, product_id) if product_id else None
    if product_id and (product is None or product.producer_id != producer_id):
        raise NotFound(
            "找不到该产品。", "No such product for this producer.", code="product_not_found"
        )
    return producer_id, batch, product


TOWNSHIP_FIELD = ("抽样地点所在乡镇（township）", "township (where the sample was taken)")


def sampling_township(session: Session, values: dict[str, Any]) -> int | None:
    """The township where the sample was taken, from `township` (or `township_id`): a
    township's record id or its 9-digit division code; None when not given. It must be a
    current township: an unknown seller's case reaches the supervisors of the township
    named here, so a village, a county, a retired township or a typo is refused, naming
    the field, rather than sending the case nowhere."""
    given = values.get("township")
    if given in (None, ""):
        given = values.get("township_id")
    if given is None or (isinstance(given, str) and not given.strip()):
        return None
    from traceability.regions.directory import township_by_id_or_code

    region = None
    if isinstance(given, int | str) and not isinstance(given, bool):
        region = township_by_id_or_code(session, given)
    shown = str(given).strip()[:40]
    if region is None or region.id is None:
        raise ValidationFailed(
            f"{TOWNSHIP_FIELD[0]}“{shown}”不是本县的乡镇：请填写乡镇编号或 9 位区划代码。",
            f"{TOWNSHIP_FIELD[1]} “{shown}” is not a township of the county: give a "
            "township's record id or its 9-digit division code.",
            code="invalid_field",
            details={"field": "township"},
        )
    if region.retired:
        raise ValidationFailed(
            f"{TOWNSHIP_FIELD[0]}“{region.name}”（{region.code}）已撤并停用，请选择现行乡镇。",
            f"{TOWNSHIP_FIELD[1]} “{region.name}” ({region.code}) is retired; choose a "
            "current township.",
            code="invalid_field",
            details={"field": "township"},
        )
    return region.id


def build_test(
    session: Session, values: dict[str, Any], *, recorded_by: str, channel: str, now: datetime
) -> RapidTest:
    """A validated, unsaved test from form, JSON or CSV values."""
    method = text_field(values, "method", 20)
    if method not in {m.value for m in TestMethod}:
        raise _invalid(
            "检测方法须为 enzyme_inhibition（酶抑制率法）、colloidal_gold（胶体金）"
            "或 lab_report（实验室）。",
            "method must be enzyme_inhibition, colloidal_gold or lab_report.",
            "invalid_method",
        )
    producer_id, batch, product = _subject(session, values)
    product_name = (product.name if product else "") or text_field(values, "product_name", 100)
    if not product_name:
        raise _invalid("请填写样品名称。", "Name the sampled product.", "invalid_field")
    operator = text_field(values, "operator", 100)
    if not operator:
        raise _invalid("请填写检测人。", "Name the operator.", "invalid_field")
    tested_at = _tested_at(values.get("tested_at"), now)
    _check_tested_at(tested_at, batch, now)
    township_id = sampling_township(session, values)
    test = RapidTest(
        sample_no=text_field(values, "sample_no", 40),
        producer_id=producer_id,
        batch_id=batch.id if batch else None,
        product_id=product.id if product else None,
        product_name=product_name,
        place=text_field(values, "place", 200),
        township_id=township_id,
        method=method,
        target=text_field(values, "target", 100),
        operator=operator,
        instrument=text_field(values, "instrument", 100),
        channel=channel,
        tested_at=tested_at,
        recorded_by=recorded_by[:100],
        recorded_at=now,
        result="",
    )
    given = values.get("result")
    if method == TestMethod.ENZYME_INHIBITION:
        test.inhibition_rate = inhibition_rate(values.get("inhibition_rate"))
        computed = enzyme_result(test.inhibition_rate)
        if given not in (None, "") and _result(given) != computed:
            raise _invalid(
                f"抑制率 {test.inhibition_rate}% 对应的结果是{RESULT_ZH[computed]}，"
                "与填写的结果不符。",
                f"An inhibition rate of {test.inhibition_rate}% means {computed.value}, "
                "not the result given.",
                "result_mismatch",
            )
        test.result = computed.value
    elif method == TestMethod.COLLOIDAL_GOLD:
        if not test.target:
            raise _invalid(
                "请填写检测项目（目标物质）。", "Give the target substance.", "invalid_field"
            )
        test.result = _result(given).value
    else:
        test.lab_name = text_field(values, "lab_name", 200)
        test.report_no = text_field(values, "report_no", 60)
        test.report_file = text_field(values, "report_file", 300)
        items = values.get("items") or []
        if isinstance(items, str):
            items = [i.strip() for i in items.replace("、", ";").split(";") if i.strip()]
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise _invalid(
                "检测项目须为文本列表。", "items must be a list of text.", "invalid_field"
            )
        test.items = [i[:100] for i in items[:100]]
        if not test.lab_name or not test.report_no:
            raise _invalid(
                "实验室检测须填写检测机构和报告编号。",
                "A lab report needs the lab's name and the report number.",
                "invalid_field",
            )
        test.result = _result(given).value
    test.submission_key = submission_key(values, test, recorded_by)
    return test


SUBMISSION_ID_MAX = 100


def submission_key(values: dict[str, Any], test: RapidTest, recorded_by: str) -> str | None:
    """The key of one submission, when the client names it (`submission_id`: the page's
    form carries one per form shown, an API client or a CSV row may give one).

    It is the recorder, the id and what was submitted: the same form sent again (a slow
    network, a double click) is a repeat, while the same id sent with another reading (a
    page reused through the back button, a client counting ids of its own) is another
    test, so a genuine test is never refused for its id. `tested_at` counts as given,
    empty when left to the clock, so a copy sent a minute later is still the same."""
    given = text_field(values, "submission_id", SUBMISSION_ID_MAX)
    if not given:
        return None
    submitted = [
        test.method,
        test.sample_no,
        test.producer_id,
        test.batch_id,
        test.product_id,
        test.product_name,
        test.place,
        *([test.township_id] if test.township_id is not None else []),
        str(test.inhibition_rate) if test.inhibition_rate is not None else None,
        test.target,
        test.lab_name,
        test.report_no,
        test.items,
        test.report_file,
        test.result,
        test.operator,
        test.instrument,
        str(values.get("tested_at") or "").strip(),
        str(values.get("retest_of_case") or "").strip(),
    ]
    return _digest(["submission", recorded_by[:100], given, *submitted])


def natural_key(test: RapidTest) -> str | None:
    """The key of the test itself, whoever sends it (see `recorded_already`); None for a
    rapid test without a sample number. Migration 0012 fills it for the tests stored before
    it with a frozen copy of this function: change one, change the other in a migration."""
    if test.method == TestMethod.LAB_REPORT:
        if not test.report_no:
            return None
        parts: list[Any] = [test.method, test.lab_name, test.report_no]
    else:
        if not test.sample_no:
            return None
        parts = [test.method, test.sample_no, test.target, beijing_date(test.tested_at).isoformat()]
    return _digest([*parts, test.producer_id, test.batch_id, test.product_id])


def _digest(parts: list[Any]) -> str:
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def record_test(
    session: Session,
    values: dict[str, Any],
    *,
    recorded_by: str,
    channel: str = "api",
    now: datetime | None = None,
) -> RapidTest:
    """Store a test; a failed one blocks its batch and opens a case (检打联动)."""
    from traceability.compliance.cases import open_case, record_retest

    now = now or utcnow()
    case_id = case_number(values.get("retest_of_case"))
    if case_id is not None:
        given = {name: value for name, value in values.items() if value not in (None, "")}
        values = _retest_subject(session, case_id) | given
        test = build_test(session, values, recorded_by=recorded_by, channel=channel, now=now)
        test = record_retest(session, case_id, test, actor=recorded_by, now=now)
        audit_test(session, test, recorded_by)
        return test
    test = build_test(session, values, recorded_by=recorded_by, channel=channel, now=now)
    store_test(session, test)
    audit_test(session, test, recorded_by)
    if test.result == TestResult.FAIL:
        open_case(session, test, actor=recorded_by, now=now)
    return test


def case_number(value: Any) -> int | None:
    """`retest_of_case` as a case number; None when empty. Whatever the channel (JSON, a
    form, a CSV cell), anything but a whole number is a 422 naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    raise _invalid(
        "字段 retest_of_case 必须是案件编号（整数）。",
        "retest_of_case must be a case number (an integer).",
        "invalid_field",
    )


def recorded_already(session: Session, test: RapidTest) -> RapidTest | None:
    """The stored test that `test` repeats, if any: by its natural key or its submission.

    The natural key (`natural_key`): a lab report is its lab's report number, the same lab
    and report number on the same sample's producer, batch and product being the same
    report; a rapid test is one sample (its sample number on the sampling sheet) read once
    by one method for one target on one (Beijing) day. A rapid test without a sample number
    has no natural key: only its submission (`submission_key`: the same form or request
    sent again) makes it a repeat. The database holds both keys unique (`store_test`)."""
    test.natural_key = natural_key(test)
    return _stored_copy(session, test)


def _stored_copy(session: Session, test: RapidTest) -> RapidTest | None:
    keys: list[Any] = []
    if test.natural_key is not None:
        keys.append(RapidTest.natural_key == test.natural_key)
    if test.submission_key is not None:
        keys.append(RapidTest.submission_key == test.submission_key)
    if not keys:
        return None
    return session.exec(select(RapidTest).where(or_(*keys)).order_by(col(RapidTest.id))).first()


# How each backend names the unique index a write broke: PostgreSQL by the index's name,
# SQLite by its column ("UNIQUE constraint failed: rapid_test.natural_key").
_UNIQUE_MARKS = (
    UNIQUE_NATURAL_KEY,
    UNIQUE_SUBMISSION_KEY,
    "rapid_test.natural_key",
    "rapid_test.submission_key",
)


def store_test(session: Session, test: RapidTest) -> None:
    """Write a new test once: refuse it when it repeats one stored (`require_not_recorded`).

    The check reads before writing, so a copy sent at the same moment can pass it too
    (there is no row to lock for an unknown seller's sample); the unique indexes then
    refuse the second write, in a savepoint, and it gets the same 409 naming the first.
    """
    test.natural_key = natural_key(test)
    require_not_recorded(session, test)
    try:
        with session.begin_nested():
            session.add(test)
    except IntegrityError as exc:
        if not any(mark in str(exc.orig) for mark in _UNIQUE_MARKS):
            raise
        found = _stored_copy(session, test)
        if found is not None:
            raise _repeat(found, test) from exc
        raise Conflict(  # the winner's transaction was rolled back since: nothing to name
            "同一时间有相同的检测记录提交，本次未登记。请刷新后核对。",
            "The same test was sent at the same moment, so nothing was recorded; reload and check.",
            code="test_already_recorded",
        ) from exc


def require_not_recorded(session: Session, test: RapidTest) -> None:
    """Refuse a test already recorded (`recorded_already`), naming the stored one: a second
    copy would open a second case, cost the producer's credit twice and keep blocking after
    the first case's re-test lifts its block."""
    found = recorded_already(session, test)
    if found is not None:
        raise _repeat(found, test)


def _repeat(found: RapidTest, test: RapidTest) -> Conflict:
    when = format_beijing(found.tested_at)
    if found.natural_key is None or found.natural_key != test.natural_key:
        what_zh, what_en = "这次提交的检测", "this submission"  # the same form sent again
    elif found.method == TestMethod.LAB_REPORT:
        what_zh = f"{found.lab_name} 报告 {found.report_no}"
        what_en = f"report {found.report_no} of {found.lab_name}"
    else:
        what_zh = f"样品 {found.sample_no} 的这项检测"
        what_en = f"this test of sample {found.sample_no}"
    return Conflict(
        f"{what_zh}已登记为检测记录 T{found.id}（{when}，{RESULT_ZH[TestResult(found.result)]}），"
        "未重复登记。",
        f"{what_en[0].upper()}{what_en[1:]} is already recorded as test T{found.id} ({when}, "
        f"{found.result}); nothing was recorded again.",
        code="test_already_recorded",
        details={"test_id": found.id},
    )


def _retest_subject(session: Session, case_id: int) -> dict[str, Any]:
    """A re-test samples what the failed test sampled: what a form or a body leaves empty
    (a page's blank batch field, a multipart part sent empty) is the failed test's."""
    from traceability.compliance.cases import get_case, require_awaiting_retest

    case = get_case(session, case_id)
    require_awaiting_retest(case)  # before the fields are checked: the refusal that matters
    original = session.get(RapidTest, case.test_id)
    if original is None:
        return {}
    return {
        "producer_id": original.producer_id,
        "batch_id": original.batch_id,
        "product_id": original.product_id,
        "product_name": original.product_name,
        "place": original.place,
        "township": original.township_id,
    }


@dataclass
class ImportReport:
    imported: list[RapidTest] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


HEADER_ALIASES = {
    "样品编号": "sample_no",
    "生产主体编号": "producer_id",
    "批次编号": "batch_id",
    "样品名称": "product_name",
    "抽样地点": "place",
    "抽样地点所在乡镇": "township",
    "检测方法": "method",
    "抑制率": "inhibition_rate",
    "检测项目": "target",
    "检测结果": "result",
    "检测人": "operator",
    "仪器编号": "instrument",
    "检测时间": "tested_at",
    "检测机构": "lab_name",
    "报告编号": "report_no",
    "提交编号": "submission_id",
}


def import_csv(
    session: Session, text: str, *, recorded_by: str, now: datetime | None = None
) -> ImportReport:
    """Import an instrument's CSV all or nothing: any invalid row imports none.

    Each row is recorded as `record_test` records it (so a re-test, a test sent twice and
    every other rule are checked exactly as from the API), in a savepoint of its own, so
    that a refused row is a row error and the rows after it are still checked; if any row
    is refused, every row is rolled back.
    """
    now = now or utcnow()
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    rows = [
        (
            line,
            {
                HEADER_ALIASES.get(k.strip(), k.strip()): (v or "").strip()
                for k, v in raw.items()
                if k
            },
        )
        for line, raw in enumerate(reader, start=2)
    ]
    if not rows:
        report.errors.append((1, "文件中没有检测记录。 / The file holds no test rows."))
        return report
    whole = session.begin_nested()
    for line, values in rows:
        try:
            with session.begin_nested():
                test = record_test(session, values, recorded_by=recorded_by, channel="csv", now=now)
        except DomainError as exc:
            report.errors.append((line, f"{exc.message_zh} / {exc.message_en}"))
        else:
            report.imported.append(test)
    if report.errors:
        whole.rollback()
        report.imported.clear()
    else:
        whole.commit()
    return report


def tests_of_batch(session: Session, batch_id: int) -> list[RapidTest]:
    return list(
        session.exec(
            select(RapidTest)
            .where(RapidTest.batch_id == batch_id)
            .order_by(col(RapidTest.tested_at), col(RapidTest.id))
        ).all()
    )


def public_test(test: RapidTest) -> dict[str, Any]:
    """What the public page shows of a test: no operator names."""
    return {
        "method": test.method,
        "method_zh": METHOD_ZH[TestMethod(test.method)],
        "result": test.result,
        "result_zh": RESULT_ZH[TestResult(test.result)],
        "tested_at": test.tested_at.isoformat(),
        "target": test.target or None,
        "inhibition_rate": str(test.inhibition_rate) if test.inhibition_rate is not None else None,
        "lab": test.lab_name or None,
        "report_no": test.report_no or None,
        "items": test.items,
        "retest": test.retest_of_case_id is not None,
    }


def test_dict(test: RapidTest) -> dict[str, Any]:
    body = public_test(test)
    body.update(
        {
            "id": test.id,
            "sample_no": test.sample_no,
            "producer_id": test.producer_id,
            "batch_id": test.batch_id,
            "product_id": test.product_id,
            "product_name": test.product_name,
            "place": test.place,
            "township_id": test.township_id,
            "operator": test.operator,
            "instrument": test.instrument,
            "report_file": test.report_file or None,
            "channel": test.channel,
            "retest_of_case": test.retest_of_case_id,
            "recorded_at": test.recorded_at.isoformat(),
        }
    )
    return body
