"""Credit grade (信用评级 A–D): earned from the producer's own record, as docs/compliance.md says."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import add_input, add_test, in_session
from tests.traceability.signing_in import sign_in
from tests.traceability.statements import count_statements
from traceability.compliance.credit import CreditGrade, credit_grade, credit_grades
from traceability.models import Batch, Certificate, Producer, ProducerKind, Product
from traceability.models.compliance import (
    CaseOutcome,
    ComplianceCase,
    InputUse,
    IssueRefusal,
    RapidTest,
)
from traceability.models.product import ProductCategory
from traceability.models.types import utcnow


def _grade(app: Flask, producer_id: int) -> CreditGrade:
    return in_session(app, lambda s: credit_grade(s, producer_id))


def _enterprise_batches(app: Flask) -> list[Batch]:
    def find(session: Session) -> list[Batch]:
        producer = session.exec(
            select(Producer).where(Producer.kind == ProducerKind.ENTERPRISE)
        ).one()
        return list(session.exec(select(Batch).where(Batch.producer_id == producer.id)).all())

    return in_session(app, find)


def test_certified_batches_without_production_records_grade_b(app: Flask, cucumbers: Batch) -> None:
    grade = _grade(app, cucumbers.producer_id)
    assert grade.grade == "B" and grade.score == 80
    assert any("生产记录" in factor.text() for factor in grade.factors)


def test_complete_records_and_no_failures_grade_a(app: Flask, cucumbers: Batch) -> None:
    for batch in _enterprise_batches(app):
        add_input(app, batch)
    grade = _grade(app, cucumbers.producer_id)
    assert (grade.grade, grade.score, grade.factors) == ("A", 100, [])


def test_a_failed_test_costs_thirty_points_and_the_a(app: Flask, cucumbers: Batch) -> None:
    for batch in _enterprise_batches(app):
        add_input(app, batch)
    add_test(app, cucumbers, inhibition_rate="72.0")
    grade = _grade(app, cucumbers.producer_id)
    assert grade.grade != "A" and grade.score <= 70
    assert any(factor.points == -30 for factor in grade.factors)


def test_a_banned_substance_refusal_grades_d(app: Flask, cucumbers: Batch) -> None:
    for batch in _enterprise_batches(app):
        add_input(app, batch)

    def refuse(session: Session) -> None:
        session.add(IssueRefusal(producer_id=cucumbers.producer_id, batch_id=cucumbers.id,
                                 reason="banned_substance", message_zh="甲胺磷", message_en="methamidophos", channel="api"))  # fmt: skip

    in_session(app, refuse)
    assert _grade(app, cucumbers.producer_id).grade == "D"


def test_a_grade_as_of_a_past_moment_reads_nothing_recorded_after_it(
    app: Flask, cucumbers: Batch
) -> None:
    """A past week's sampling plan ranks producers by the grade they had then."""
    for batch in _enterprise_batches(app):
        add_input(app, batch)
    then = utcnow()
    add_test(app, cucumbers, inhibition_rate="72.0")  # a failed test opens a case

    def refuse(session: Session) -> None:
        session.add(IssueRefusal(producer_id=cucumbers.producer_id, batch_id=cucumbers.id,
                                 reason="banned_substance", message_zh="甲胺磷", message_en="methamidophos", channel="api"))  # fmt: skip

    in_session(app, refuse)
    as_of_then = in_session(app, lambda s: credit_grade(s, cucumbers.producer_id, now=then))
    assert (as_of_then.grade, as_of_then.score, as_of_then.factors) == ("A", 100, [])
    assert _grade(app, cucumbers.producer_id).grade == "D"


def test_a_producer_without_batches_starts_at_b(app: Flask, cucumbers: Batch) -> None:
    def new_producer(session: Session) -> int:
        producer = Producer(kind=ProducerKind.SMALLHOLDER, name="新农户", phone="13700000000")
        session.add(producer)
        session.flush()
        return producer.id or 0

    producer_id = in_session(app, new_producer)
    assert _grade(app, producer_id).grade == "B"


# --- Grading a whole county at once: credit_grades --------------------------------------

LONG_AGO = timedelta(days=400)  # outside the 365-day period
ZERO = timedelta(0)
TODAY = date.today()


@dataclass
class Records:
    """Writes just the rows the credit rule reads, for producers made up in the test."""

    session: Session
    serial: Iterator[int] = field(default_factory=lambda: count(1))
    cases: list[int] = field(default_factory=list)  # in the order opened

    def producer(self) -> int:
        n = next(self.serial)
        return _added(self.session, Producer(kind=ProducerKind.SMALLHOLDER, name=f"农户{n}"))

    def product(self, producer_id: int, name: str = "黄瓜") -> int:
        return _added(self.session, Product(producer_id=producer_id, name=name,
                                            category=ProductCategory.VEGETABLE))  # fmt: skip

    def batch(
        self,
        producer_id: int,
        product_id: int,
        *,
        harvest: date | None = None,
        age: timedelta = ZERO,
    ) -> int:
        n = next(self.serial)
        return _added(self.session, Batch(producer_id=producer_id, product_id=product_id,
                                          lot=f"L{n}", quantity=Decimal(10), unit="kg",
                                          origin_text="本县", harvest_date=harvest,
                                          created_at=utcnow() - age))  # fmt: skip

    def certificate(
        self, producer_id: int, batch_id: int, *, revoked_ago: timedelta | None = None
    ) -> None:
        n = next(self.serial)
        revoked = revoked_ago is not None
        _added(self.session, Certificate(
            number=f"C{n:08d}", group_code=f"G{n:07d}", style="1", template_version="test",
            producer_id=producer_id, batch_id=batch_id, product_name="黄瓜",
            quantity=Decimal(10), unit="kg", origin_text="本县", issuer_name="农户",
            issuer_phone="13700000000", issue_date=date.today(), promise_text="承诺",
            kid="test", status="revoked" if revoked else "valid",
            revoked_at=None if revoked_ago is None else utcnow() - revoked_ago,
        ))  # fmt: skip

    def case(
        self,
        producer_id: int,
        *,
        blocking: bool = True,
        outcome: CaseOutcome | None = None,
        age: timedelta = ZERO,
    ) -> int:
        test_id = _added(self.session, RapidTest(producer_id=producer_id, product_name="黄瓜",
                                                 method="enzyme_inhibition", result="fail",
                                                 operator="检测员", tested_at=utcnow() - age))  # fmt: skip
        self.cases.append(_added(self.session, ComplianceCase(
            test_id=test_id, producer_id=producer_id, blocking=blocking, outcome=outcome,
            retest_deadline=utcnow() - age + timedelta(days=5), opened_at=utcnow() - age,
        )))  # fmt: skip
        return self.cases[-1]

    def refusal(self, producer_id: int, reason: str, *, age: timedelta = ZERO) -> None:
        _added(self.session, IssueRefusal(producer_id=producer_id, reason=reason,
                                          message_zh="拒绝", message_en="refused",
                                          at=utcnow() - age))  # fmt: skip

    def input_use(
        self,
        producer_id: int,
        used_on: date,
        *,
        batch_id: int | None = None,
        product_id: int | None = None,
    ) -> None:
        _added(self.session, InputUse(producer_id=producer_id, batch_id=batch_id,
                                      product_id=product_id, kind="pesticide", substance="吡虫啉",
                                      dose="1500 倍液", method="喷雾", used_on=used_on,
                                      operator="王师傅"))  # fmt: skip

    def recorded_certified_batch(self, producer_id: int, product_id: int) -> int:
        batch_id = self.batch(producer_id, product_id, harvest=TODAY)
        self.certificate(producer_id, batch_id)
        self.input_use(producer_id, TODAY - timedelta(days=10), batch_id=batch_id)
        return batch_id


def _added(session: Session, row: Any) -> int:
    session.add(row)
    session.flush()
    return int(row.id)


def _a_county(records: Records) -> dict[str, int]:
    """Producers whose records touch every part of the rule, by what is notable about them."""
    ids: dict[str, int] = {}

    ids["clean"] = clean = records.producer()
    product = records.product(clean)
    for _ in range(2):
        records.recorded_certified_batch(clean, product)

    ids["failed"] = failed = records.producer()
    records.recorded_certified_batch(failed, records.product(failed))
    records.case(failed)  # open and blocking: -30
    records.case(failed, blocking=False, outcome=CaseOutcome.PENALTY)  # -40
    records.case(failed, blocking=False, outcome=CaseOutcome.CLEARED)  # nothing
    records.case(failed, blocking=False)  # lifted by a passing re-test: nothing
    records.case(failed, outcome=CaseOutcome.WARNING, age=LONG_AGO)  # too old: nothing

    ids["refused"] = refused = records.producer()
    records.recorded_certified_batch(refused, records.product(refused))
    for reason in ("banned_substance", "pre_harvest_interval", "producer_suspended", "other"):
        records.refusal(refused, reason)
    records.refusal(refused, "withdrawal_period", age=LONG_AGO)

    ids["revoked"] = revoked = records.producer()
    product = records.product(revoked)
    batches = [records.batch(revoked, product) for _ in range(4)]
    for _ in range(5):
        records.certificate(revoked, batches[0], revoked_ago=timedelta(days=3))
    records.certificate(revoked, batches[0], revoked_ago=LONG_AGO)
    for batch_id in batches:
        records.input_use(revoked, TODAY, batch_id=batch_id)

    ids["product records"] = by_product = records.producer()
    cucumber, tomato = records.product(by_product), records.product(by_product, "番茄")
    sprayed = TODAY - timedelta(days=30)
    records.input_use(by_product, sprayed, product_id=cucumber)
    records.input_use(by_product, sprayed + timedelta(days=20), product_id=cucumber)
    for harvest in (sprayed - timedelta(days=1), sprayed, sprayed + timedelta(days=5), None):
        records.certificate(by_product, records.batch(by_product, cucumber, harvest=harvest))
    records.certificate(by_product, records.batch(by_product, tomato, harvest=TODAY))
    records.batch(by_product, cucumber, harvest=TODAY, age=LONG_AGO)  # too old: not counted

    ids["no batches"] = newcomer = records.producer()
    records.refusal(newcomer, "producer_suspended")
    # a use on another producer's product is no record of that producer's batches
    records.input_use(newcomer, sprayed - timedelta(days=300), product_id=tomato)

    # exactly half the batches certified costs nothing, exactly half recorded costs 10
    ids["half"] = half = records.producer()
    product = records.product(half)
    records.recorded_certified_batch(half, product)
    records.batch(half, product)
    return ids


def test_grading_a_county_at_once_grades_each_producer_as_grading_it_alone(app: Flask) -> None:
    def grade(session: Session) -> tuple[dict[int, Any], dict[int, Any]]:
        ids = list(_a_county(Records(session)).values())
        return credit_grades(session, ids), {i: credit_grade(session, i) for i in ids}

    together, one_by_one = in_session(app, grade)
    assert together == one_by_one
    assert len(together) == 7


def test_grades_of_a_county_by_hand(app: Flask) -> None:
    def grade(session: Session) -> tuple[dict[str, int], list[int], dict[int, Any]]:
        records = Records(session)
        ids = _a_county(records)
        return ids, records.cases, credit_grades(session, ids.values())

    ids, cases, grades = in_session(app, grade)
    found = {
        name: (grades[i].grade, grades[i].score, [(f.text(), f.points) for f in grades[i].factors])
        for name, i in ids.items()
    }
    assert found["clean"] == ("A", 100, [])
    assert found["failed"] == ("D", 30, [
        (f"检测不合格（案件 #{cases[0]}）", -30),
        (f"检测不合格（案件 #{cases[1]}）", -40),
    ])  # fmt: skip
    assert found["refused"] == ("D", 74, [
        ("禁限用/间隔期拒绝开具 2 次", -20),
        ("其他拒绝开具 2 次", -6),
    ])  # fmt: skip
    assert found["revoked"] == ("C", 70, [
        ("合格证被撤销 5 张", -20),
        ("开证批次不足一半", -10),
    ])  # fmt: skip
    # cucumbers harvested on or after the first spraying, or on an unknown day: 3 of 5
    assert found["product records"] == ("A", 90, [
        ("生产记录不足八成批次", -10),
    ])  # fmt: skip
    assert found["no batches"] == ("B", 97, [("其他拒绝开具 1 次", -3)])
    assert found["half"] == ("A", 90, [
        ("生产记录不足八成批次", -10),
    ])  # fmt: skip


def test_a_producer_with_no_record_at_all_is_graded_b(app: Flask) -> None:
    grades = in_session(app, lambda s: credit_grades(s, [Records(s).producer()]))
    assert [(g.grade, g.score, g.factors) for g in grades.values()] == [("B", 100, [])]


def test_grading_ten_producers_takes_as_many_queries_as_grading_two(app: Flask) -> None:
    def a_county(session: Session) -> list[int]:
        records = Records(session)
        ids = [records.producer() for _ in range(10)]
        for producer_id in ids:
            product = records.product(producer_id)
            batch_id = records.recorded_certified_batch(producer_id, product)
            records.batch(producer_id, product, harvest=TODAY)
            records.certificate(producer_id, batch_id, revoked_ago=ZERO)
            records.input_use(producer_id, TODAY, product_id=product)
            records.case(producer_id)
            records.refusal(producer_id, "banned_substance")
        return ids

    ids = in_session(app, a_county)
    assert _statements(app, ids[:2]) == _statements(app, ids)


def _statements(app: Flask, producer_ids: list[int]) -> int:
    def grade(session: Session) -> None:
        assert len(credit_grades(session, producer_ids)) == len(producer_ids)

    return count_statements(app, grade)


# --- Deductions in the page's language ---------------------------------------------------


def _credit_row(page: str, producer_id: int) -> str:
    start = page.index(f'id="producer-{producer_id}"')
    return html.unescape(page[start : page.index("</tr>", start)])


def test_the_credit_page_says_the_deductions_in_chinese(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    admin = sign_in(app, client, "county", role="county_admin")
    row = _credit_row(admin.get("/compliance/credit").get_data(as_text=True), cucumbers.producer_id)
    assert "生产记录不足一半批次（-20）" in row
    assert "production records" not in row and " / " not in row


def test_the_credit_page_says_the_deductions_in_english_on_an_english_page(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    admin = sign_in(app, client, "county", role="county_admin")
    page = admin.get("/compliance/credit?lang=en").get_data(as_text=True)
    row = _credit_row(page, cucumbers.producer_id)
    assert "Production records for fewer than half the batches (-20)" in row
    assert "生产记录" not in row


def test_the_credit_api_gives_each_deduction_by_code_in_both_languages(
    client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    path = f"/api/v1/producers/{cucumbers.producer_id}/credit"
    (factor,) = client.get(path, headers=make_token()).get_json()["credit"]["factors"]
    assert factor["code"] == "records_under_half" and factor["points"] == -20
    assert factor["what_zh"] == "生产记录不足一半批次"
    assert factor["what_en"] == "Production records for fewer than half the batches"
    assert factor["what"] == f"{factor['what_zh']} / {factor['what_en']}"
