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


def test_a_database_with_its_own_account_gets_the_demo_only_in_test_set_ups(app: Flask) -> None:
    """`traceability demo` never loads beside a real account; a test that made its own
    account first may still ask for the demo county, but never twice."""
    from traceability.accounts.service import UserInput, create_user

    with app.app_context():
        with session_scope(get_engine()) as session:
            create_user(session, UserInput(username="real", role="county_admin", password="x" * 12))
        with session_scope(get_engine()) as session:
            refused = load_demo(session, app.config)
        with session_scope(get_engine()) as session:
            loaded = load_demo(session, app.config, beside_accounts=True)
        with session_scope(get_engine()) as session:
            again = load_demo(session, app.config, beside_accounts=True)
            count = len(session.exec(select(Producer)).all())
    assert (refused["loaded"], loaded["loaded"], again["loaded"]) == (False, True, False)
    assert count == 5
