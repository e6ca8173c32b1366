"""Fixtures shared by the service's specifications."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlmodel import select

from traceability.db import get_engine, session_scope
from traceability.models import Batch, Product


@pytest.fixture
def cucumbers(app: Flask, demo: dict[str, Any]) -> Batch:
    """The demo enterprise's 黄瓜 (a vegetable) batch, harvested yesterday; its producer
    signs in at the kiosk with the demo's first card."""
    with app.app_context(), session_scope(get_engine()) as session:
        product = session.exec(select(Product).where(Product.name == "黄瓜")).one()
        batch = session.exec(select(Batch).where(Batch.product_id == product.id)).one()
        session.expunge(batch)
    return batch


@pytest.fixture
def pigs(app: Flask, demo: dict[str, Any]) -> Batch:
    """The demo family farm's 生猪 (livestock) batch, harvested yesterday: for veterinary drugs."""
    with app.app_context(), session_scope(get_engine()) as session:
        product = session.exec(select(Product).where(Product.name == "生猪")).one()
        batch = session.exec(select(Batch).where(Batch.product_id == product.id)).one()
        session.expunge(batch)
    return batch
