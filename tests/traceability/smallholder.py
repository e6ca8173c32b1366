"""Fresh certificates issued by the demo smallholder, for tests that need their own."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session, select

from traceability import keystore
from traceability.db import get_engine
from traceability.issuing.service import IssueRequest, issue_certificate
from traceability.models import Producer, ProducerKind


def issue_as_smallholder(
    app: Flask,
    *,
    items: int = 1,
    product_name: str = "小白菜",
    signature_image: bytes | None = None,
) -> Any:
    """The committed `issue_certificate` result (certificate and signed codes)."""
    passphrase = app.config["SIGNING_KEY_PASSPHRASE"]
    with Session(get_engine(app), expire_on_commit=False) as session:
        producer = session.exec(
            select(Producer).where(Producer.kind == ProducerKind.SMALLHOLDER)
        ).one()
        request = IssueRequest(
            producer_id=producer.id or 0,
            product_name=product_name,
            quantity="20",
            unit="kg",
            item_count=items,
            basis=["quality_control"],
            signature_confirmed=signature_image is None,
            signature_image=signature_image,
        )
        issued = issue_certificate(
            session, request, keystore.active_signing_key(session, passphrase)
        )
        session.commit()
        return issued
