"""The tests a producer can link at the kiosk for a tested basis (自行检测合格 / 委托检测合格).

Kiosks stand in township stations where the rapid test (快检) is done the same morning, so
the screen offers the producer's own recent passing tests for the product. The issuing gate
still decides (owner, batch, coverage); this only chooses what is worth offering.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from traceability.models import Producer, Product
from traceability.models.compliance import RapidTest, TestResult
from traceability.models.types import utcnow

LINKABLE_TEST_DAYS = 7
"""A test speaks for the produce sampled: a week covers a harvest picked and sold over a few
market days, and keeps last month's test from standing behind this week's harvest. The gate sets
no age limit (the API and the CLI may link any test); this is what the kiosk offers."""
MAX_LINKABLE_TESTS = 5  # a short list an elderly producer can read at a glance


def linkable_tests(
    session: Session, producer: Producer, product: Product, *, now: datetime | None = None
) -> list[RapidTest]:
    """The producer's passing tests of `product`, tied to no batch yet, newest first.

    Only tests without a batch: the kiosk makes a new batch per issue, and the gate refuses a
    test that belongs to another batch (`test_other_batch`).
    """
    since = (now or utcnow()) - timedelta(days=LINKABLE_TEST_DAYS)
    return list(
        session.exec(
            select(RapidTest)
            .where(
                RapidTest.producer_id == producer.id,
                or_(RapidTest.product_id == product.id, RapidTest.product_name == product.name),
                col(RapidTest.batch_id).is_(None),
                RapidTest.result == TestResult.PASS.value,
                col(RapidTest.tested_at) >= since,
            )
            .order_by(col(RapidTest.tested_at).desc(), col(RapidTest.id).desc())
            .limit(MAX_LINKABLE_TESTS)
        ).all()
    )
