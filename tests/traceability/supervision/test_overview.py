"""The supervisors' overview: per township, what was issued, tested and failed in a period.

The demo county has three townships: 城关街道 (an enterprise and a purchaser),
清河镇 (a cooperative and a family farm) and 石门乡 (one smallholder).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from tests.traceability.compliance.conftest import add_test, failed_lab_case, in_session
from traceability import keystore
from traceability.compliance.credit import credit_grade, credit_grades
from traceability.errors import NotFound, ValidationFailed
from traceability.issuing.service import IssueRequest, issue_certificate, today_in_china
from traceability.models import Batch, Certificate, Producer, Region
from traceability.models.compliance import ComplianceCase, IssueRefusal, RapidTest
from traceability.models.types import utcnow
from traceability.supervision.overview import (
    Figures,
    Overview,
    export_header,
    export_rows,
    parse_period,
    producer_overview,
    township_overview,
)

TODAY = date(2026, 12, 3)


def overview(app: Flask, scope: set[int] | None = None, **period: str) -> Overview:
    chosen = parse_period(period.get("first"), period.get("last"), today=TODAY_LOCAL(app))
    return in_session(app, lambda s: township_overview(s, scope, chosen, now=utcnow()))


def TODAY_LOCAL(app: Flask) -> date:
    from traceability.issuing.service import today_in_china

    return today_in_china(utcnow())


def by_name(result: Overview) -> dict[str, Figures]:
    return {row.name: row for row in result.rows}


def township_id(app: Flask, name: str) -> int:
    return int(
        in_session(app, lambda s: s.exec(select(Region.id).where(Region.name == name)).one())
    )


def first_batch(app: Flask, producer_name: str) -> Batch:
    def find(session: Session) -> Batch:
        producer = session.exec(select(Producer).where(Producer.name == producer_name)).one()
        return session.exec(
            select(Batch).where(Batch.producer_id == producer.id).order_by(col(Batch.id))
        ).first()  # type: ignore[return-value]

    return in_session(app, find)


def issue(app: Flask, batch: Batch, items: int) -> int:
    def work(session: Session) -> int:
        key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
        request = IssueRequest(
            producer_id=batch.producer_id,
            batch_id=batch.id,
            item_count=items,
            basis=["quality_control"],
            signature_confirmed=True,
        )
        return int(issue_certificate(session, request, key).certificate.id or 0)

    return int(in_session(app, work))


def test_each_township_counts_its_registered_producers(app: Flask, demo: dict[str, Any]) -> None:
    rows = by_name(overview(app))
    assert {name: row.producers for name, row in rows.items()} == {
        "城关街道": 2,
        "清河镇": 2,
        "石门乡": 1,
        "县级及未关联乡镇": 0,
    }
    assert overview(app).total.producers == 5


def test_issuing_counts_certificates_codes_and_producers_of_the_township(
    app: Flask, demo: dict[str, Any]
) -> None:
    before = by_name(overview(app))
    cooperative = first_batch(app, "青禾县清河果蔬专业合作社")
    farm = first_batch(app, "李家庄生态家庭农场")
    issue(app, cooperative, 3)
    issue(app, cooperative, 2)
    issue(app, farm, 1)
    after = by_name(overview(app))
    qinghe, chengguan = after["清河镇"], after["城关街道"]
    assert qinghe.certificates - before["清河镇"].certificates == 3
    assert qinghe.item_codes - before["清河镇"].item_codes == 6
    assert qinghe.issuing_producers == 2 and qinghe.coverage == 1.0
    assert chengguan.certificates == before["城关街道"].certificates  # nothing leaks across
    total = overview(app).total
    assert total.certificates == sum(row.certificates for row in after.values())


def test_a_failed_test_shows_as_a_failure_an_open_case_and_revoked_certificates(
    app: Flask, demo: dict[str, Any]
) -> None:
    batch = first_batch(app, "张秀英")
    issue(app, batch, 2)
    issue(app, batch, 1)
    before = by_name(overview(app))["石门乡"]
    add_test(app, batch, inhibition_rate="12.5")  # a pass
    add_test(app, batch, inhibition_rate="72.0")  # ≥ 50 %: positive, 检打联动 starts
    after = by_name(overview(app))["石门乡"]
    assert (after.tests - before.tests, after.failed_tests - before.failed_tests) == (2, 1)
    assert after.open_cases - before.open_cases == 1
    assert after.revoked - before.revoked == 2  # both certificates of the batch
    assert after.awaiting_investigation == before.awaiting_investigation  # window still open
    assert by_name(overview(app))["清河镇"].failed_tests == 0


def test_a_case_left_in_disposal_after_its_retest_window_awaits_investigation(
    app: Flask, demo: dict[str, Any]
) -> None:
    batch = first_batch(app, "张秀英")
    add_test(app, batch, inhibition_rate="80.0")

    def expire(session: Session) -> None:
        for case in session.exec(select(ComplianceCase)).all():
            case.retest_deadline = utcnow() - timedelta(minutes=1)
            session.add(case)

    in_session(app, expire)
    row = by_name(overview(app))["石门乡"]
    assert (row.open_cases, row.awaiting_investigation) == (1, 1)


def test_a_lab_case_s_window_is_counted_with_today_s_calendar_not_the_stored_deadline(
    app: Flask, demo: dict[str, Any]
) -> None:
    """A deadline stored from a Monday-to-Friday estimate does not keep a case waiting."""
    batch = first_batch(app, "张秀英")
    failed_lab_case(app, batch)

    def tested_weeks_ago_but_stored_later(session: Session) -> None:
        for case in session.exec(select(ComplianceCase)).all():
            test = session.get(RapidTest, case.test_id)
            assert test is not None
            test.tested_at = utcnow() - timedelta(days=30)  # 5 working days long past
            case.retest_deadline = utcnow() + timedelta(days=3)
            session.add_all([test, case])

    in_session(app, tested_weeks_ago_but_stored_later)
    row = by_name(overview(app))["石门乡"]
    assert (row.open_cases, row.awaiting_investigation) == (1, 1)


def test_refusals_are_counted_where_the_producer_is(app: Flask, demo: dict[str, Any]) -> None:
    batch = first_batch(app, "青禾绿源蔬菜有限公司")

    def refuse(session: Session) -> None:
        session.add(IssueRefusal(producer_id=batch.producer_id, batch_id=batch.id,
                                 reason="banned_substance", message_zh="甲胺磷", message_en="methamidophos"))  # fmt: skip

    in_session(app, refuse)
    rows = by_name(overview(app))
    assert (rows["城关街道"].refusals, rows["清河镇"].refusals, rows["石门乡"].refusals) == (
        1,
        0,
        0,
    )


def test_only_what_happened_in_the_period_counts(app: Flask, demo: dict[str, Any]) -> None:
    batch = first_batch(app, "李家庄生态家庭农场")
    old = issue(app, batch, 4)

    def backdate(session: Session) -> None:
        certificate = session.get(Certificate, old)
        assert certificate is not None
        certificate.issued_at = utcnow() - timedelta(days=45)
        session.add(certificate)

    in_session(app, backdate)
    today = today_in_china(utcnow())
    recent = by_name(overview(app))["清河镇"]
    longer = by_name(overview(app, first=str(today - timedelta(days=60))))["清河镇"]
    assert longer.certificates - recent.certificates == 1
    assert longer.item_codes - recent.item_codes == 4


def test_a_township_supervisor_sees_only_its_townships(app: Flask, demo: dict[str, Any]) -> None:
    shimen = township_id(app, "石门乡")
    result = overview(app, {shimen})
    assert [row.name for row in result.rows] == ["石门乡"]  # no county row either
    assert result.total.producers == 1


def test_the_export_has_a_line_per_township_and_the_totals_last(
    app: Flask, demo: dict[str, Any]
) -> None:
    result = overview(app)
    lines = export_rows(result)
    assert [line[0] for line in lines] == [
        "城关街道",
        "清河镇",
        "石门乡",
        "县级及未关联乡镇",
        "合计",
    ]
    assert lines[-1][1] == 5  # registered producers, all townships


@pytest.mark.parametrize(
    ("first", "last", "named"),
    [
        ("2026-13-01", None, "2026-13-01"),
        ("2026-12-05", "2026-12-01", "2026-12-05"),
        ("2020-01-01", "2026-12-01", "1098"),
        ("0001-01-01", "0001-01-31", "0001-01-31"),  # its previous period would be no date
        (None, "0001-01-05", "0001-01-05"),  # nor would its default start
        ("9999-12-01", "9999-12-31", "9999-12-31"),  # nor the day after it
        ("1999-12-31", "2000-01-31", "1999-12-31"),
    ],
)
def test_a_period_it_cannot_use_is_refused_in_both_languages(
    first: str | None, last: str | None, named: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_period(first, last, TODAY)
    assert named in refused.value.message_zh and named in refused.value.message_en


def test_the_default_period_is_the_last_thirty_days_including_today() -> None:
    period = parse_period(None, None, TODAY)
    assert (period.first, period.last, period.days) == (date(2026, 11, 4), TODAY, 30)
    start, end = period.bounds
    assert start.utcoffset() == timedelta(hours=8)
    assert end - start == timedelta(days=30)
    assert datetime(2026, 12, 3, 15, 59, tzinfo=start.tzinfo) < end  # 23:59 Beijing counts


def producers_of(app: Flask, township: str | None, scope: set[int] | None = None) -> Overview:
    chosen = parse_period(None, None, today=TODAY_LOCAL(app))
    key = township_id(app, township) if township is not None else None
    return in_session(app, lambda s: producer_overview(s, key, scope, chosen, now=utcnow()))


def test_a_townships_row_opens_into_its_producers_and_adds_up_to_the_row(
    app: Flask, demo: dict[str, Any]
) -> None:
    issue(app, first_batch(app, "青禾县清河果蔬专业合作社"), 3)
    add_test(app, first_batch(app, "李家庄生态家庭农场"), inhibition_rate="72.0")
    township = by_name(overview(app))["清河镇"]
    drill = producers_of(app, "清河镇")
    assert {row.name for row in drill.rows} == {"青禾县清河果蔬专业合作社", "李家庄生态家庭农场"}
    for name in ("producers", "issuing_producers", "certificates", "item_codes", "failed_tests"):
        assert getattr(drill.total, name) == getattr(township, name), name
    rows = by_name(drill)
    assert rows["青禾县清河果蔬专业合作社"].issuing_producers == 1
    assert rows["李家庄生态家庭农场"].failed_tests == 1
    assert rows["李家庄生态家庭农场"].open_cases == 1


def test_a_producer_that_did_not_issue_in_the_period_shows_as_not_issuing(
    app: Flask, demo: dict[str, Any]
) -> None:
    rows = by_name(producers_of(app, "石门乡"))
    assert list(rows) == ["张秀英"]
    assert (rows["张秀英"].issuing_producers, rows["张秀英"].coverage) == (0, 0.0)
    issue(app, first_batch(app, "张秀英"), 1)
    issue(app, first_batch(app, "张秀英"), 2)
    after = by_name(producers_of(app, "石门乡"))["张秀英"]
    assert (after.issuing_producers, after.certificates, after.coverage) == (1, 2, 1.0)


def test_a_township_outside_the_scope_or_not_a_township_is_not_found(
    app: Flask, demo: dict[str, Any]
) -> None:
    shimen, qinghe = township_id(app, "石门乡"), township_id(app, "清河镇")
    assert producers_of(app, "石门乡", {shimen}).rows  # in scope
    with pytest.raises(NotFound):
        producers_of(app, "清河镇", {shimen})
    with pytest.raises(NotFound):
        producers_of(app, None, {shimen, qinghe})  # the county's own row: county roles only
    county_region = in_session(
        app, lambda s: s.exec(select(Region.id).where(Region.level == "county")).first()
    )
    chosen = parse_period(None, None, today=TODAY_LOCAL(app))
    with pytest.raises(NotFound):
        in_session(app, lambda s: producer_overview(s, county_region, None, chosen, now=utcnow()))


def test_the_county_rows_drill_down_holds_unknown_sellers_tests(
    app: Flask, demo: dict[str, Any]
) -> None:
    drill = producers_of(app, None)
    assert [row.key for row in drill.rows][-1] is None  # 来源不明的抽检, last
    assert drill.total.tests == by_name(overview(app))["县级及未关联乡镇"].tests


def test_each_producer_row_carries_its_credit_grade_as_the_credit_page_computes_it(
    app: Flask, demo: dict[str, Any]
) -> None:
    drill = producers_of(app, "清河镇")
    keys = [row.key for row in drill.rows if row.key is not None]
    expected = in_session(app, lambda s: credit_grades(s, keys))
    assert {row.key: row.grade for row in drill.rows} == expected
    assert sum(drill.total.grades.values()) == len(keys) == 2


def test_a_failed_test_lowers_the_grade_counted_on_the_townships_row(
    app: Flask, demo: dict[str, Any]
) -> None:
    # the demo: 城关街道's enterprise B (records for few batches), its purchaser C
    assert by_name(overview(app))["城关街道"].grades == Counter({"B": 1, "C": 1})
    enterprise = first_batch(app, "青禾绿源蔬菜有限公司")
    add_test(app, enterprise, inhibition_rate="72.0")  # 30 off, and 5 for its revoked certificate
    rows = by_name(overview(app))
    assert rows["城关街道"].grades == Counter({"C": 1, "D": 1})
    assert rows["城关街道"].lowest_grades == 2
    grade = by_name(producers_of(app, "城关街道"))["青禾绿源蔬菜有限公司"].grade
    assert grade == in_session(app, lambda s: credit_grade(s, enterprise.producer_id))
    assert grade is not None and (grade.grade, grade.score) == ("D", 45)
    assert rows["清河镇"].grades == Counter({"B": 1, "C": 1})  # nothing leaks across
    total = overview(app).total
    assert sum(total.grades.values()) == total.producers == 5


def test_the_export_ends_township_lines_with_grades_and_producer_lines_with_the_grade(
    app: Flask, demo: dict[str, Any]
) -> None:
    townships = overview(app)
    for figures, line in zip(
        [*townships.rows, townships.total], export_rows(townships), strict=True
    ):
        assert line[-4:] == [figures.grades[g] for g in "ABCD"]
    assert export_header(townships, english=True)[-1] == "Credit D (seriously untrustworthy)"
    drill = producers_of(app, "石门乡")
    farmer, total = export_rows(drill)
    assert drill.rows[0].grade is not None
    assert farmer[-2:] == [drill.rows[0].grade.grade, drill.rows[0].grade.score]
    assert total[-2] == " / ".join(f"{g} {drill.total.grades[g]}" for g in "ABCD")
    assert export_header(drill, english=False)[-2:] == ["信用等级", "信用得分"]


# --- An unknown seller's sample, placed by the township where it was taken ---------------


def _unknown_sellers_failure(app: Flask, township: str | None, sample_no: str) -> None:
    from traceability.compliance.testing import record_test

    values: dict[str, Any] = {"method": "enzyme_inhibition", "product_name": "小白菜", "sample_no": sample_no,
              "inhibition_rate": "71", "operator": "快检员"}  # fmt: skip
    if township is not None:
        values["township"] = township_id(app, township)
    in_session(app, lambda s: record_test(s, values, recorded_by="test"))


def test_an_unknown_sellers_failure_counts_under_the_township_where_it_was_sampled(
    app: Flask, demo: dict[str, Any]
) -> None:
    before = by_name(overview(app))
    _unknown_sellers_failure(app, "城关街道", "CG-1")
    after = by_name(overview(app))
    chengguan, county = after["城关街道"], after["县级及未关联乡镇"]
    assert chengguan.tests - before["城关街道"].tests == 1
    assert chengguan.failed_tests - before["城关街道"].failed_tests == 1
    assert chengguan.open_cases - before["城关街道"].open_cases == 1
    assert (county.tests, county.failed_tests) == (
        before["县级及未关联乡镇"].tests,
        before["县级及未关联乡镇"].failed_tests,
    )
    mine = by_name(overview(app, {township_id(app, "城关街道")}))["城关街道"]
    assert (mine.tests, mine.failed_tests, mine.open_cases) == (
        chengguan.tests,
        chengguan.failed_tests,
        chengguan.open_cases,
    )
    assert by_name(overview(app))["清河镇"].failed_tests == before["清河镇"].failed_tests


def test_an_unknown_sellers_failure_without_a_township_stays_in_the_county_row(
    app: Flask, demo: dict[str, Any]
) -> None:
    before = by_name(overview(app))["县级及未关联乡镇"]
    _unknown_sellers_failure(app, None, "X-1")
    after = by_name(overview(app))["县级及未关联乡镇"]
    assert (after.failed_tests, after.open_cases) == (
        before.failed_tests + 1,
        before.open_cases + 1,
    )


def test_a_townships_drill_down_names_unknown_sellers_sampled_there_and_adds_up(
    app: Flask, demo: dict[str, Any]
) -> None:
    assert [row.key for row in producers_of(app, "城关街道").rows].count(None) == 0
    _unknown_sellers_failure(app, "城关街道", "CG-1")
    drill = producers_of(app, "城关街道")
    unknown = [row for row in drill.rows if row.key is None]
    assert len(unknown) == 1 and unknown[0].failed_tests == 1
    assert drill.total.tests == by_name(overview(app))["城关街道"].tests
    assert drill.trend is not None and drill.trend.current.failed_tests >= 1
    county = producers_of(app, None)
    assert county.total.tests == by_name(overview(app))["县级及未关联乡镇"].tests
