"""Credit grade (信用评级 A–D): earned from the producer's own record, as docs/compliance.md says."""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import add_input, add_test, in_session
from traceability.compliance.credit import credit_grade
from traceability.models import Batch, Producer, ProducerKind
from traceability.models.compliance import IssueRefusal


def _grade(app: Flask, producer_id: int):  # type: ignore[no-untyped-def]
    return in_session(app, lambda s: credit_grade(s, producer_id))


def _enterprise_batches(app: Flask) -> list[Batch]:
    def find(session: Session) -> list[Batch]:
        producer = session.exec(
            select(Producer).where(Producer.kind == ProducerKind.ENTERPRISE)
        ).one()
        return list(session.exec(select(Batch).where(Batch.producer_id == producer.id)).all())

    return in_session(app, find)  # type: ignore[no-any-return]


def test_certified_batches_without_production_records_grade_b(app: Flask, cucumbers: Batch) -> None:
    grade = _grade(app, cucumbers.producer_id)
    assert grade.grade == "B" and grade.score == 80
    assert any("生产记录" in what for what, _ in grade.factors)


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
    assert any(points == -30 for _, points in grade.factors)


def test_a_banned_substance_refusal_grades_d(app: Flask, cucumbers: Batch) -> None:
    for batch in _enterprise_batches(app):
        add_input(app, batch)

    def refuse(session: Session) -> None:
        session.add(IssueRefusal(producer_id=cucumbers.producer_id, batch_id=cucumbers.id,
                                 reason="banned_substance", message_zh="甲胺磷", message_en="methamidophos", channel="api"))  # fmt: skip

    in_session(app, refuse)
    assert _grade(app, cucumbers.producer_id).grade == "D"


def test_a_producer_without_batches_starts_at_b(app: Flask, cucumbers: Batch) -> None:
    def new_producer(session: Session) -> int:
        producer = Producer(kind=ProducerKind.SMALLHOLDER, name="新农户", phone="13700000000")
        session.add(producer)
        session.flush()
        return producer.id or 0

    producer_id = in_session(app, new_producer)
    assert _grade(app, producer_id).grade == "B"
