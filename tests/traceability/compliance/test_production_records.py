"""Production records through the API: stored for the batch's own product, and a batch
that is not of the product named is refused rather than silently re-assigned."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.traceability.compliance.conftest import in_session
from traceability.models import Batch, Product


def _body(batch: Batch, **extra: Any) -> dict[str, Any]:
    body = {
        "batch_id": batch.id,
        "kind": "pesticide",
        "substance": "吡虫啉",
        "dose": "1500 倍液",
        "method": "喷雾",
        "used_on": "2026-01-05",
        "operator": "王师傅",
    }
    body.update(extra)
    return body


def test_a_record_on_a_batch_belongs_to_the_batch_product(
    client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    response = client.post(
        "/api/v1/production-records", json=_body(cucumbers), headers=make_token()
    )
    assert response.status_code == 201
    record = response.get_json()["record"]
    assert (record["batch_id"], record["product_id"]) == (cucumbers.id, cucumbers.product_id)


def test_a_batch_of_another_product_is_refused(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    def tomato(session: Session) -> int:
        product = Product(producer_id=cucumbers.producer_id, name="番茄", category="蔬菜")
        session.add(product)
        session.flush()
        assert product.id is not None
        return product.id

    other = in_session(app, tomato)
    response = client.post(
        "/api/v1/production-records",
        json=_body(cucumbers, product_id=other),
        headers=make_token(),
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "batch_product_mismatch"
    assert "所选批次不是所选产品的批次" in body["message_zh"]
    assert "not a batch of the product" in body["message_en"]
