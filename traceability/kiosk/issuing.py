"""Issuing at a kiosk: a batch for today's harvest, the certificate, and its print job.

The same `issue_certificate` as the API and the CLI, so every rule (suspension,
compliance gates, wording) applies; the kiosk only adds the batch, the print job, and
ties the tests it linked to that batch.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, not_, or_, update
from sqlmodel import Session, col, select

from traceability.codes import SigningKey
from traceability.db import record_by_id
from traceability.errors import NotFound, ValidationFailed
from traceability.issuing.service import (
    UNITS,
    IssuedCertificate,
    IssueRequest,
    issue_certificate,
    origin_of,
    parse_quantity,
    today_in_china,
)
from traceability.kiosk.jobs import enqueue_certificate
from traceability.labels import PHONE_CHECKED_LAYOUTS, check_certificate_printable
from traceability.models import Batch, PrintJob, Producer, Product, Terminal
from traceability.models.compliance import RapidTest
from traceability.models.types import utcnow

MAX_KIOSK_LABELS = 200


@dataclass
class KioskIssue:
    issued: IssuedCertificate
    job: PrintJob | None


def issue_at_kiosk(
    session: Session,
    producer: Producer,
    *,
    product_id: int,
    quantity: Decimal | str,
    unit: str | None,
    basis: list[str],
    items: int,
    key: SigningKey,
    terminal: Terminal | None,
    base_url: str,
    channel: str = "kiosk",
    test_ids: list[int] | None = None,
) -> KioskIssue:
    """Issue for today's harvest; queue the labels on `terminal` (None: phone issuing).

    `test_ids` back a tested basis; the gate checks them (owner, batch, result, coverage).
    A certificate whose labels could never print (a registered name too long for this
    terminal's labels) is refused here, inside the issuing transaction, so nothing is
    issued: `base_url` makes the QR codes exactly as they will print.
    """
    product = record_by_id(session, Product, product_id)
    if product is None or product.producer_id != producer.id or not product.active:
        raise NotFound(
            "找不到该产品。", "No such product in your catalogue.", code="product_not_found"
        )
    amount = parse_quantity(quantity)
    if unit and unit not in UNITS:
        raise ValidationFailed(f"单位“{unit[:10]}”无效。", "Invalid unit.", code="invalid_unit")
    now = utcnow()
    origin_text, _ = origin_of(session, producer.region_id)
    batch = Batch(
        producer_id=producer.id or 0,
        product_id=product.id or 0,
        lot=f"K{today_in_china(now):%y%m%d}{secrets.token_hex(3).upper()}",
        quantity=amount,
        unit=unit or product.default_unit,
        harvest_date=today_in_china(now),
        origin_region_id=producer.region_id,
        origin_text=origin_text or (producer.address or ""),
    )
    session.add(batch)
    session.flush()
    issued = issue_certificate(
        session,
        IssueRequest(
            producer_id=producer.id or 0,
            batch_id=batch.id,
            quantity=amount,
            unit=unit or product.default_unit,
            item_count=items,
            basis=basis,
            signature_confirmed=True,
            channel=channel,
            test_ids=list(test_ids or []),
        ),
        key,
        max_items=MAX_KIOSK_LABELS,
        now=now,
    )
    label_layouts = (
        ((terminal.certificate_layout, terminal.dpi), (terminal.item_layout, terminal.dpi))
        if terminal is not None
        else PHONE_CHECKED_LAYOUTS
    )
    check_certificate_printable(issued.certificate, issued.codes[0], base_url, label_layouts)
    _tie_tests_to_batch(session, test_ids or [], batch)
    job = None
    if terminal is not None:
        job = enqueue_certificate(
            session, terminal.id or 0, issued.certificate, requested_by=f"producer:{producer.id}"
        )
    return KioskIssue(issued, job)


def _tie_tests_to_batch(session: Session, test_ids: list[int], batch: Batch) -> None:
    """The linked tests were of this harvest: the certificate's lookup shows them, and a test
    backs one kiosk batch only (the gate refuses a test of another batch).

    The gate read the tests unlinked, but two kiosks may issue with the same test at the
    same moment. The tie is one conditional UPDATE: on PostgreSQL the second transaction
    waits for the first's row lock, then finds the test taken and matches no row; its whole
    issue is refused and rolled back, so a test never backs two certificates. (On SQLite
    a writing request holds the write lock from its start, so the second gate already sees
    the test taken.)
    """
    ids = sorted(set(test_ids))
    if not ids:
        return
    unlinked = or_(col(RapidTest.batch_id).is_(None), col(RapidTest.batch_id) == batch.id)
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(RapidTest)
            .where(col(RapidTest.id).in_(ids), unlinked)
            .values(batch_id=batch.id)
            .execution_options(synchronize_session="fetch")
        ),
    )
    if claimed.rowcount != len(ids):
        taken = session.exec(
            select(RapidTest.id).where(col(RapidTest.id).in_(ids), not_(unlinked))
        ).first()
        raise ValidationFailed(
            f"检测记录 {taken} 刚刚被另一张合格证使用，请重新选择检测记录。",
            f"Test {taken} was just used for another certificate; choose the tests again.",
            code="test_other_batch",
        )
