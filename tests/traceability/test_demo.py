"""Demo data covers every producer kind and every category, and loads only once."""

from __future__ import annotations

from flask import Flask
from sqlmodel import select

from traceability.db import get_engine, session_scope
from traceability.demo import load_demo
from traceability.models import Batch, Producer, ProducerKind, Product, ProductCategory, Region


def test_demo_has_every_producer_kind_and_product_category(app: Flask) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        report = load_demo(session, app.config)
        kinds = {p.kind for p in session.exec(select(Producer)).all()}
        categories = {p.category for p in session.exec(select(Product)).all()}
        levels = {r.level for r in session.exec(select(Region)).all()}
        batches = session.exec(select(Batch)).all()
    assert report["loaded"] is True
    assert kinds == {k.value for k in ProducerKind}
    assert categories >= {c.value for c in ProductCategory} - {"other"}
    assert levels == {"county", "township", "village"}
    assert batches and all(b.quantity > 0 for b in batches)


def test_demo_loads_only_into_an_empty_database(app: Flask) -> None:
    with app.app_context():
        with session_scope(get_engine()) as session:
            load_demo(session, app.config)
        with session_scope(get_engine()) as session:
            again = load_demo(session, app.config)
            count = len(session.exec(select(Producer)).all())
    assert again["loaded"] is False
    assert count == 5
