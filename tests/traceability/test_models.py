"""Times are timezone-aware UTC and quantities exact decimals on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from flask import Flask
from sqlmodel import Session, select

from traceability.db import get_engine
from traceability.models import Producer, ProducerKind, Product


def test_times_come_back_timezone_aware_utc(app: Flask) -> None:
    beijing = timezone(timedelta(hours=8))
    created = datetime(2026, 3, 1, 8, 30, tzinfo=beijing)
    with app.app_context(), Session(get_engine()) as session:
        session.add(Producer(kind=ProducerKind.SMALLHOLDER, name="王大妈", created_at=created))
        session.commit()
        session.expunge_all()
        loaded = session.exec(select(Producer)).one()
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at == created
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert loaded.created_at.astimezone(UTC).hour == 0


def test_naive_times_are_refused(app: Flask) -> None:
    with app.app_context(), Session(get_engine()) as session:
        session.add(
            Producer(kind=ProducerKind.SMALLHOLDER, name="x", created_at=datetime(2026, 1, 1))
        )
        with pytest.raises(Exception, match="timezone-aware"):
            session.commit()


def test_quantities_keep_exact_decimals(app: Flask) -> None:
    from traceability.models import Batch

    with app.app_context(), Session(get_engine()) as session:
        producer = Producer(kind=ProducerKind.FAMILY_FARM, name="农场")
        session.add(producer)
        session.flush()
        product = Product(producer_id=producer.id or 0, name="黄瓜", category="vegetable")
        session.add(product)
        session.flush()
        session.add(
            Batch(
                producer_id=producer.id or 0,
                product_id=product.id or 0,
                lot="L1",
                quantity=Decimal("12.345"),
                unit="kg",
                origin_text="某村",
            )
        )
        session.commit()
        session.expunge_all()
        batch = session.exec(select(Batch)).one()
    assert batch.quantity == Decimal("12.345")
