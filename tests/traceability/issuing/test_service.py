"""Issuing: a snapshot certificate with N signed item codes, or a clear refusal and nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlmodel import Session, func, select

from traceability import keystore
from traceability.codes import KeyRing, Verifier, code_url
from traceability.db import get_engine
from traceability.errors import DomainError
from traceability.issuing.service import IssuedCertificate, IssueRequest, issue_certificate
from traceability.models import Batch, Certificate, ItemCode, Producer, ProducerKind, Product


def _session(app: Flask) -> Session:
    return Session(get_engine(app), expire_on_commit=False)


def _first_batch(session: Session, kind: ProducerKind = ProducerKind.ENTERPRISE) -> Batch:
    producer = session.exec(select(Producer).where(Producer.kind == kind)).first()
    assert producer is not None
    batch = session.exec(select(Batch).where(Batch.producer_id == producer.id)).first()
    assert batch is not None
    return batch


def _issue(session: Session, app: Flask, **changes: object) -> IssuedCertificate:
    batch = _first_batch(session)
    fields: dict[str, object] = {
        "producer_id": batch.producer_id,
        "batch_id": batch.id,
        "item_count": 2,
        "basis": ["quality_control"],
        "signature_confirmed": True,
    }
    fields.update(changes)
    key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
    return issue_certificate(session, IssueRequest(**fields), key)  # type: ignore[arg-type]


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_certificate_carries_the_required_fields_as_a_snapshot(app: Flask, demo: dict) -> None:
    with app.app_context(), _session(app) as session:
        issued = _issue(session, app)
        session.commit()
        cert = issued.certificate
        producer = session.get(Producer, cert.producer_id)
        assert producer is not None
        product = session.exec(select(Product).where(Product.producer_id == producer.id)).first()
        assert product is not None
        producer.name, producer.phone, product.name = "改名公司", "13000000000", "改名产品"
        session.add_all([producer, product])
        session.commit()
        again = session.get(Certificate, cert.id)
    assert again is not None
    assert again.issuer_name == "青禾绿源蔬菜有限公司"
    assert again.issuer_phone == "13912345678"
    assert again.product_name == "黄瓜"
    assert again.quantity == Decimal("50") and again.unit == "kg"
    assert "青禾县" in again.origin_text and "东关村" in again.origin_text
    assert again.style == "1" and again.template_version == "2025-style1"
    assert again.promise_text.startswith("我承诺生产销售的食用农产品")
    assert again.basis == ["质量安全控制符合要求"]
    assert again.signature_kind == "confirmation" and again.signature_note
    assert again.number.startswith("HGZ") and again.group_code in again.number


def test_every_item_code_is_distinct_and_signed_by_the_active_key(app: Flask, demo: dict) -> None:
    with app.app_context(), _session(app) as session:
        issued = _issue(session, app, item_count=50)
        session.commit()
        ring = keystore.key_ring(session)
        stored = session.exec(
            select(ItemCode).where(ItemCode.certificate_id == issued.certificate.id)
        ).all()
    assert len({c.serial for c in issued.codes}) == 50
    assert sorted(i.seq for i in stored) == list(range(1, 51))
    verifier = Verifier(ring)
    assert all(verifier.verify(code_url("http://localhost", c)).genuine for c in issued.codes)
    assert isinstance(ring, KeyRing)


def test_ten_thousand_item_codes_in_one_request(app: Flask, demo: dict) -> None:
    with app.app_context(), _session(app) as session:
        issued = _issue(session, app, item_count=10_000)
        session.commit()
        count = session.exec(
            select(func.count())
            .select_from(ItemCode)
            .where(ItemCode.certificate_id == issued.certificate.id)
        ).one()
    assert count == 10_000


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"item_count": 0}, "invalid_item_count"),
        ({"item_count": 10_001}, "invalid_item_count"),
        ({"basis": []}, "basis_required"),
        ({"basis": ["自我承诺"]}, "invalid_basis"),
        ({"signature_confirmed": False}, "signature_required"),
        ({"quantity": "-1"}, "invalid_quantity"),
        ({"quantity": "abc"}, "invalid_quantity"),
        ({"quantity": "1.23456"}, "invalid_quantity"),
        ({"unit": "lbs"}, "invalid_unit"),
        ({"batch_id": 999_999}, "batch_not_found"),
        (
            {
                "gtin_form": True,
                "batch_id": None,
                "product_name": "散装",
                "quantity": 1,
                "unit": "kg",
            },
            "gtin_required",
        ),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_written(
    app: Flask,
    demo: dict,
    changes: dict[str, object],
    code: str,
) -> None:
    with app.app_context(), _session(app) as session:
        before = (_count(session, Certificate), _count(session, ItemCode))
        with pytest.raises(DomainError) as caught:
            _issue(session, app, **changes)
        session.rollback()
        after = (_count(session, Certificate), _count(session, ItemCode))
    assert caught.value.code == code
    assert caught.value.message_zh and caught.value.message_en
    assert before == after


def test_a_suspended_producer_cannot_issue(app: Flask, demo: dict) -> None:
    with app.app_context(), _session(app) as session:
        batch = _first_batch(session)
        producer = session.get(Producer, batch.producer_id)
        assert producer is not None
        producer.status = "suspended"
        session.add(producer)
        session.commit()
        with pytest.raises(DomainError) as caught:
            _issue(session, app)
    assert caught.value.code == "producer_suspended" and caught.value.status == 403


def test_purchaser_issues_style_2_linked_to_upstream_certificates(app: Flask, demo: dict) -> None:
    with app.app_context(), _session(app) as session:
        upstream = _issue(session, app)
        session.commit()
        purchase = _first_batch(session, ProducerKind.PURCHASER)
        key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
        base = dict(producer_id=purchase.producer_id, batch_id=purchase.id, basis=["quality_control"],
                    signature_confirmed=True)  # fmt: skip
        with pytest.raises(DomainError) as caught:
            issue_certificate(session, IssueRequest(**base), key)  # type: ignore[arg-type]
        session.rollback()
        mixed = issue_certificate(
            session,
            IssueRequest(**base, upstream=[upstream.certificate.number, "外省纸质合格证 No.123"]),  # type: ignore[arg-type]
            key,
        )
        session.commit()
    assert caught.value.code == "upstream_required"
    assert mixed.certificate.style == "2" and mixed.certificate.template_version == "2025-style2"
    assert mixed.certificate.promise_text.startswith("已按规定收取并保存")
