"""The overview's trend: its figures per week or month, and against the previous period.

Records are placed in March 2025, far from the demo's own (issued today), on both sides
of Beijing midnights: 2025-03-02 15:59:59 UTC is Sunday 23:59:59 in Beijing, one second
later is Monday, the next week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session

from tests.traceability.compliance.conftest import add_test, in_session
from tests.traceability.statements import count_statements
from tests.traceability.supervision.test_overview import first_batch, issue, township_id
from traceability.models import Certificate, CertificateStatus
from traceability.models.compliance import IssueRefusal
from traceability.models.types import utcnow
from traceability.supervision.overview import (
    Overview,
    parse_period,
    producer_overview,
    township_overview,
)
from traceability.supervision.trends import Trend, buckets_of, previous_period, trend_rows

SHIMEN_FARMER = "张秀英"  # 石门乡
COOPERATIVE = "青禾县清河果蔬专业合作社"  # 清河镇


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def certificate_at(app: Flask, producer: str, items: int, issued_at: datetime) -> int:
    certificate_id = issue(app, first_batch(app, producer), items)

    def backdate(session: Session) -> None:
        certificate = session.get(Certificate, certificate_id)
        assert certificate is not None
        certificate.issued_at = issued_at
        session.add(certificate)

    in_session(app, backdate)
    return certificate_id


def revoke_at(app: Flask, certificate_id: int, revoked_at: datetime) -> None:
    def revoke(session: Session) -> None:
        certificate = session.get(Certificate, certificate_id)
        assert certificate is not None
        certificate.status = CertificateStatus.REVOKED.value
        certificate.revoked_at = revoked_at
        session.add(certificate)

    in_session(app, revoke)


def refusal_at(app: Flask, producer: str, at: datetime) -> None:
    batch = first_batch(app, producer)

    def refuse(session: Session) -> None:
        session.add(IssueRefusal(producer_id=batch.producer_id, batch_id=batch.id, at=at,
                                 reason="banned_substance", message_zh="甲胺磷", message_en="methamidophos"))  # fmt: skip

    in_session(app, refuse)


@pytest.fixture
def march(app: Flask, demo: dict[str, Any]) -> None:
    """Certificates, tests, a revocation and a refusal around March 2025's edges."""
    certificate_at(app, SHIMEN_FARMER, 1, utc(2025, 2, 28, 15, 59, 59))  # 02-28 23:59:59
    certificate_at(app, SHIMEN_FARMER, 2, utc(2025, 3, 2, 15, 59, 59))  # Sunday 03-02 23:59:59
    monday = certificate_at(app, SHIMEN_FARMER, 3, utc(2025, 3, 2, 16))  # Monday 03-03 00:00
    certificate_at(app, COOPERATIVE, 4, utc(2025, 3, 31, 15, 59, 59))  # 03-31 23:59:59
    certificate_at(app, COOPERATIVE, 5, utc(2025, 3, 31, 16))  # 04-01 00:00
    batch = first_batch(app, SHIMEN_FARMER)
    # samples of the producer's product, not of the demo batch harvested long after them,
    # recorded as they were taken (a test 21 months before a batch's harvest is refused)
    sample = {"batch_id": None, "producer_id": batch.producer_id, "product_id": batch.product_id}
    add_test(
        app,
        batch,
        **sample,
        tested_at="2025-03-05T09:00:00+08:00",
        inhibition_rate="12.5",
        now=utc(2025, 3, 5, 1, 5),
    )  # pass
    add_test(
        app,
        batch,
        **sample,
        tested_at="2025-03-05T10:00:00+08:00",
        inhibition_rate="72.0",
        now=utc(2025, 3, 5, 2, 5),
    )  # fail
    revoke_at(app, monday, utc(2025, 3, 10, 2))  # Monday 03-10, the third week
    refusal_at(app, SHIMEN_FARMER, utc(2025, 3, 20, 4))  # Thursday 03-20, the fourth week


def trend_of(app: Flask, first: str, last: str, scope: set[int] | None = None) -> Trend:
    period = parse_period(first, last, date(2026, 12, 3))
    result = in_session(app, lambda s: township_overview(s, scope, period, now=utcnow()))
    assert result.trend is not None
    return result.trend


def column(trend: Trend, name: str) -> list[int]:
    return [getattr(bucket, name) for bucket in trend.buckets]


def test_a_period_of_up_to_62_days_reads_per_calendar_week_cut_to_the_period() -> None:
    unit, buckets = buckets_of(date(2025, 3, 1), date(2025, 3, 31))  # Saturday to Monday
    assert unit == "week"
    assert [(b.first.day, b.last.day, b.whole) for b in buckets] == [
        (1, 2, False),
        (3, 9, True),
        (10, 16, True),
        (17, 23, True),
        (24, 30, True),
        (31, 31, False),
    ]
    assert buckets_of(date(2025, 1, 1), date(2025, 3, 3))[0] == "week"  # 62 days


def test_a_longer_period_reads_per_calendar_month_across_the_new_year() -> None:
    unit, buckets = buckets_of(date(2025, 11, 20), date(2026, 2, 10))
    assert unit == "month"
    assert [(b.first, b.last, b.whole) for b in buckets] == [
        (date(2025, 11, 20), date(2025, 11, 30), False),
        (date(2025, 12, 1), date(2025, 12, 31), True),
        (date(2026, 1, 1), date(2026, 1, 31), True),
        (date(2026, 2, 1), date(2026, 2, 10), False),
    ]
    assert buckets_of(date(2025, 1, 1), date(2025, 3, 4))[0] == "month"  # 63 days


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    assert previous_period(date(2025, 3, 1), date(2025, 3, 31)) == (
        date(2025, 1, 29),
        date(2025, 2, 28),
    )
    assert previous_period(date(2025, 3, 1), date(2025, 3, 1)) == (
        date(2025, 2, 28),
        date(2025, 2, 28),
    )


def test_each_record_counts_in_the_week_of_its_beijing_date(app: Flask, march: None) -> None:
    trend = trend_of(app, "2025-03-01", "2025-03-31")
    assert trend.unit == "week"
    assert column(trend, "certificates") == [1, 1, 0, 0, 0, 1]
    assert column(trend, "item_codes") == [2, 3, 0, 0, 0, 4]
    assert column(trend, "issuing_producers") == [1, 1, 0, 0, 0, 1]
    assert column(trend, "tests") == [0, 2, 0, 0, 0, 0]
    assert column(trend, "failed_tests") == [0, 1, 0, 0, 0, 0]
    assert column(trend, "revoked") == [0, 0, 1, 0, 0, 0]
    assert column(trend, "refusals") == [0, 0, 0, 1, 0, 0]


def test_each_record_counts_in_the_month_of_its_beijing_date(app: Flask, march: None) -> None:
    trend = trend_of(app, "2025-01-15", "2025-04-10")
    assert trend.unit == "month"
    assert [b.first.month for b in trend.buckets] == [1, 2, 3, 4]
    assert column(trend, "certificates") == [0, 1, 3, 1]  # 02-28 23:59:59 and 04-01 00:00
    assert column(trend, "item_codes") == [0, 1, 9, 5]


def test_the_period_counts_a_producer_issuing_in_several_weeks_once(
    app: Flask, march: None
) -> None:
    current = trend_of(app, "2025-03-01", "2025-03-31").current
    assert (current.certificates, current.item_codes, current.issuing_producers) == (3, 9, 2)
    assert (current.tests, current.failed_tests, current.revoked, current.refusals) == (2, 1, 1, 1)


def test_the_change_is_against_the_previous_period_of_equal_length(app: Flask, march: None) -> None:
    trend = trend_of(app, "2025-03-01", "2025-03-31")
    previous = trend.previous
    assert (previous.first, previous.last) == (date(2025, 1, 29), date(2025, 2, 28))
    assert (previous.certificates, previous.item_codes, previous.issuing_producers) == (1, 1, 1)
    assert trend.change("certificates").difference == 2
    assert trend.change("certificates").relative == 2.0  # three times as many: +200 %
    assert trend.change("tests").relative is None  # none before: no percentage to give
    assert trend.change("tests").difference == 2


def test_the_trend_adds_up_to_the_period_table(app: Flask, march: None) -> None:
    period = parse_period("2025-03-01", "2025-03-31", date(2026, 12, 3))
    result: Overview = in_session(app, lambda s: township_overview(s, None, period, now=utcnow()))
    assert result.trend is not None
    for name in ("certificates", "item_codes", "issuing_producers", "tests", "failed_tests"):
        assert getattr(result.trend.current, name) == getattr(result.total, name), name
    assert result.trend.current.revoked == result.total.revoked
    assert result.trend.current.refusals == result.total.refusals


def test_a_township_supervisors_trend_holds_only_its_townships(app: Flask, march: None) -> None:
    shimen, qinghe = township_id(app, "石门乡"), township_id(app, "清河镇")
    assert column(trend_of(app, "2025-03-01", "2025-03-31", {shimen}), "certificates") == [
        *[1, 1, 0, 0, 0, 0]
    ]
    assert column(trend_of(app, "2025-03-01", "2025-03-31", {qinghe}), "certificates") == [
        *[0, 0, 0, 0, 0, 1]
    ]


def test_a_townships_drill_down_has_the_trend_of_its_producers(app: Flask, march: None) -> None:
    period = parse_period("2025-03-01", "2025-03-31", date(2026, 12, 3))
    qinghe = township_id(app, "清河镇")
    drill: Overview = in_session(
        app, lambda s: producer_overview(s, qinghe, None, period, now=utcnow())
    )
    assert drill.trend is not None
    assert column(drill.trend, "item_codes") == [0, 0, 0, 0, 0, 4]
    assert drill.trend.previous.certificates == 0  # 张秀英's February certificate is 石门乡's


def test_the_exported_trend_has_a_line_per_week_then_this_period_the_previous_and_the_change(
    app: Flask, march: None
) -> None:
    lines = trend_rows(trend_of(app, "2025-03-01", "2025-03-31"), english=False)
    assert [line[0] for line in lines] == [
        "2025-03-01 起一周",
        "2025-03-03 起一周",
        "2025-03-10 起一周",
        "2025-03-17 起一周",
        "2025-03-24 起一周",
        "2025-03-31 起一周",
        "本期合计",
        "上期",
        "较上期增减",
        "较上期增减率(%)",
    ]
    assert lines[0][1:5] == ["2025-03-01", "2025-03-02", 2, 1]  # from, to, days, certificates
    assert lines[7][1:5] == ["2025-01-29", "2025-02-28", 31, 1]
    assert lines[8][4] == 2 and lines[9][4] == 200.0
    assert lines[9][7] == ""  # tests: none in the previous period


def test_the_overview_takes_as_many_queries_for_many_townships_and_buckets_as_for_one(
    app: Flask, march: None
) -> None:
    shimen = township_id(app, "石门乡")
    today = date(2026, 12, 3)
    one_week = parse_period("2025-03-03", "2025-03-09", today)  # one bucket
    three_years = parse_period("2024-01-01", "2026-12-31", today)  # 36 months
    few = count_statements(app, lambda s: township_overview(s, {shimen}, one_week, now=utcnow()))
    many = count_statements(app, lambda s: township_overview(s, None, three_years, now=utcnow()))
    assert few == many
    drill_few = count_statements(
        app, lambda s: producer_overview(s, shimen, None, one_week, now=utcnow())
    )
    drill_many = count_statements(
        app, lambda s: producer_overview(s, shimen, None, three_years, now=utcnow())
    )
    assert drill_few == drill_many
