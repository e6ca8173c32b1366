"""The weekly sampling plan: riskier producers first, recently tested ones left out.

The demo county: 城关街道 (an enterprise and a purchaser), 清河镇 (a cooperative and a
family farm), 石门乡 (one smallholder). Every demo batch was harvested yesterday, so the
plans below are drawn for next week, whose 30-day window holds them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from tests.traceability.compliance.conftest import add_input, add_test, in_session, suspend
from tests.traceability.statements import count_statements
from tests.traceability.supervision.test_overview import issue, township_id
from traceability.errors import ValidationFailed
from traceability.issuing.service import today_in_china
from traceability.models import Batch, Producer, Product
from traceability.models.compliance import IssueRefusal
from traceability.models.types import utcnow
from traceability.supervision.sampling import (
    GRADE_POINTS,
    Candidate,
    SamplingPlan,
    TownshipPlan,
    Week,
    parse_per_township,
    parse_week,
    sampling_plan,
    week_of,
)

COOPERATIVE, FARM, SMALLHOLDER = "青禾县清河果蔬专业合作社", "李家庄生态家庭农场", "张秀英"


def next_week() -> Week:
    return week_of(today_in_china(utcnow()) + timedelta(days=7))


def plan(
    app: Flask, scope: set[int] | None = None, week: Week | None = None, per_township: int = 5
) -> SamplingPlan:
    chosen = week or next_week()
    return in_session(app, lambda s: sampling_plan(s, scope, chosen, per_township))


def township(result: SamplingPlan, name: str) -> TownshipPlan:
    return next(t for t in result.townships if t.name == name)


def candidate(result: SamplingPlan, name: str) -> Candidate:
    for row in result.townships:
        for found in row.ranked + row.recently_tested + row.suspended:
            if found.name == name:
                return found
    raise AssertionError(f"{name} is not in the plan")


def batches_of(app: Flask, name: str) -> list[Batch]:
    def find(session: Session) -> list[Batch]:
        producer = session.exec(select(Producer).where(Producer.name == name)).one()
        found = session.exec(
            select(Batch).where(Batch.producer_id == producer.id).order_by(col(Batch.id))
        ).all()
        for batch in found:
            session.expunge(batch)
        return list(found)

    return in_session(app, find)


def before_next_week(days: int) -> datetime:
    """An instant `days` days before next week's Monday 00:00 (Beijing)."""
    return next_week().as_of - timedelta(days=days)


def keep_clean(app: Flask, name: str) -> None:
    """Every batch certified and recorded, and a passing test 20 days before the week: grade A
    with nothing to raise the score."""
    batches = batches_of(app, name)
    for batch in batches:
        add_input(app, batch)
        issue(app, batch, 1)
    add_test(app, batches[0], now=before_next_week(20))


def producer_id(app: Flask, name: str) -> int:
    return int(
        in_session(app, lambda s: s.exec(select(Producer.id).where(Producer.name == name)).one())
    )


def test_a_producer_with_a_failed_test_outranks_a_clean_a_producer(
    app: Flask, demo: dict[str, Any]
) -> None:
    keep_clean(app, FARM)
    keep_clean(app, COOPERATIVE)
    add_test(app, batches_of(app, COOPERATIVE)[0], inhibition_rate="72.0", now=before_next_week(20))
    result = plan(app, per_township=1)
    clean, failed = candidate(result, FARM), candidate(result, COOPERATIVE)
    assert (clean.grade, clean.score, clean.reasons) == ("A", 0, [])
    assert "case_or_failure" in [r.code for r in failed.reasons]
    assert [c.name for c in township(result, "清河镇").chosen] == [COOPERATIVE]


def test_a_d_graded_producer_outranks_a_clean_a_producer(app: Flask, demo: dict[str, Any]) -> None:
    keep_clean(app, FARM)
    keep_clean(app, COOPERATIVE)

    def banned(session: Session) -> None:
        session.add(IssueRefusal(producer_id=producer_id(app, COOPERATIVE), reason="banned_substance",
                                 message_zh="甲胺磷", message_en="methamidophos"))  # fmt: skip

    in_session(app, banned)
    result = plan(app, per_township=1)
    graded = candidate(result, COOPERATIVE)
    assert graded.grade == "D"
    assert [(r.code, r.points) for r in graded.reasons] == [("credit", 40)]
    assert "信用等级 D" in graded.reasons[0].zh and "seriously" in graded.reasons[0].en
    assert [c.name for c in township(result, "清河镇").chosen] == [COOPERATIVE]


def test_a_producer_tested_in_the_last_14_days_is_left_out(
    app: Flask, demo: dict[str, Any]
) -> None:
    add_test(app, batches_of(app, SMALLHOLDER)[0], now=before_next_week(13))
    shimen = township(plan(app), "石门乡")
    assert shimen.chosen == [] and [c.name for c in shimen.recently_tested] == [SMALLHOLDER]
    assert shimen.recently_tested[0].last_tested == next_week().monday - timedelta(days=13)


def test_a_producer_tested_15_days_before_the_week_is_planned_again(
    app: Flask, demo: dict[str, Any]
) -> None:
    add_test(app, batches_of(app, SMALLHOLDER)[0], now=before_next_week(15))
    shimen = township(plan(app), "石门乡")
    assert [c.name for c in shimen.chosen] == [SMALLHOLDER] and shimen.recently_tested == []


def test_untested_and_uncertified_batches_raise_the_score_with_reasons_in_both_languages(
    app: Flask, demo: dict[str, Any]
) -> None:
    farmer = candidate(plan(app), SMALLHOLDER)
    reasons = {r.code: r for r in farmer.reasons}
    assert reasons["untested"].points == 20 and reasons["uncertified"].points == 15
    assert "没有合格的检测" in reasons["untested"].zh
    assert "no passing test" in reasons["untested"].en
    assert "2 个批次未开具合格证" in reasons["uncertified"].zh
    assert "2 batches of the last 30 days without a certificate" in reasons["uncertified"].en
    assert farmer.score == GRADE_POINTS[farmer.grade] + 20 + 15
    keep_clean(app, SMALLHOLDER)  # certified, recorded, tested 20 days before the week
    after = candidate(plan(app), SMALLHOLDER)
    assert {r.code for r in after.reasons}.isdisjoint({"untested", "uncertified"})
    assert after.score == GRADE_POINTS[after.grade] == 0


def test_a_high_risk_product_raises_the_score_cowpea_most(app: Flask, demo: dict[str, Any]) -> None:
    def rename(session: Session, old: str, new: str) -> None:
        product = session.exec(select(Product).where(Product.name == old)).one()
        product.name = new
        session.add(product)

    before = candidate(plan(app), SMALLHOLDER).score
    in_session(app, lambda s: rename(s, "西红柿", "紫根韭菜"))
    chives = candidate(plan(app), SMALLHOLDER)
    assert chives.score == before + 15
    assert any(r.code == "high_risk_product" and "chives" in r.en for r in chives.reasons)
    in_session(app, lambda s: rename(s, "茶鲜叶", "长豇豆"))
    cowpea = candidate(plan(app), SMALLHOLDER)
    assert cowpea.score == before + 20  # the riskiest product counts, once
    assert any("豇豆" in r.zh and "cowpea" in r.en for r in cowpea.reasons)


def test_a_suspended_producer_is_listed_apart_not_planned(app: Flask, demo: dict[str, Any]) -> None:
    suspend(app, producer_id(app, SMALLHOLDER))
    shimen = township(plan(app), "石门乡")
    assert shimen.chosen == [] and [c.name for c in shimen.suspended] == [SMALLHOLDER]


def test_the_plan_is_the_same_when_drawn_twice(app: Flask, demo: dict[str, Any]) -> None:
    def picked(result: SamplingPlan) -> list[tuple[str, list[tuple[str, int, int]]]]:
        return [
            (row.name, [(c.name, c.producer_id, c.score) for c in row.chosen])
            for row in result.townships
        ]

    first = picked(plan(app, per_township=1))
    assert first == picked(plan(app, per_township=1))
    assert sum(len(row) for _name, row in first) == 3  # one per township, none at county level


def test_equal_scores_take_turns_from_week_to_week_but_risk_comes_first(
    app: Flask, demo: dict[str, Any]
) -> None:
    # Two years ahead nothing is in any window: every producer is a B without batches (10).
    weeks = [week_of(date.today() + timedelta(days=730 + 7 * n)) for n in range(10)]
    first = [township(plan(app, week=w, per_township=1), "清河镇").chosen[0] for w in weeks]
    assert {c.score for c in first} == {10}
    assert {c.name for c in first} == {COOPERATIVE, FARM}  # both get their turn

    def cowpea(session: Session) -> None:
        product = session.exec(select(Product).where(Product.name == "鸡蛋")).one()
        product.name = "豇豆"
        session.add(product)

    in_session(app, cowpea)
    risky = [township(plan(app, week=w, per_township=1), "清河镇").chosen[0] for w in weeks]
    assert {c.name for c in risky} == {COOPERATIVE}


def test_a_township_supervisors_plan_holds_only_its_townships(
    app: Flask, demo: dict[str, Any]
) -> None:
    result = plan(app, {township_id(app, "石门乡")})
    assert [row.name for row in result.townships] == ["石门乡"]  # no county row either
    assert [c.name for c in result.townships[0].chosen] == [SMALLHOLDER]


def test_the_plan_takes_as_many_queries_for_many_townships_and_producers_as_for_one(
    app: Flask, demo: dict[str, Any]
) -> None:
    shimen = township_id(app, "石门乡")
    week = next_week()
    one = count_statements(app, lambda s: sampling_plan(s, {shimen}, week, 5))
    add_test(app, batches_of(app, FARM)[0], inhibition_rate="72.0", now=before_next_week(20))
    add_test(app, batches_of(app, COOPERATIVE)[0], now=before_next_week(3))
    every = count_statements(app, lambda s: sampling_plan(s, None, week, 5))
    assert one == every


@pytest.mark.parametrize(
    ("value", "monday", "label"),
    [
        (None, date(2026, 11, 30), "2026-W49"),  # this week: today is a Thursday
        ("2026-12-06", date(2026, 11, 30), "2026-W49"),  # a Sunday ends its week
        (" 2026-12-07", date(2026, 12, 7), "2026-W50"),
    ],
)
def test_any_day_names_its_monday_to_sunday_week(
    value: str | None, monday: date, label: str
) -> None:
    week = parse_week(value, today=date(2026, 12, 3))
    assert (week.monday, week.sunday, week.label) == (monday, monday + timedelta(days=6), label)


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "0001-01-01", "9999-12-31"])
def test_a_week_that_is_not_a_date_in_range_is_refused_in_both_languages(value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_week(value, today=date(2026, 12, 3))
    assert "周次" in refused.value.message_zh and "week" in refused.value.message_en


@pytest.mark.parametrize("value", ["0", "51", "-1", "x", "²", "1.5"])
def test_a_number_per_township_out_of_bounds_is_refused_in_both_languages(value: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_per_township(value)
    assert "1 至 50" in refused.value.message_zh and "from 1 to 50" in refused.value.message_en


def test_the_number_per_township_defaults_to_five() -> None:
    assert (parse_per_township(None), parse_per_township(" 12 ")) == (5, 12)
