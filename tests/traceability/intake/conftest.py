"""Fixtures for intake: markets with inspector tokens, and certificates with several codes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from traceability import keystore
from traceability.auth.tokens import create_token
from traceability.codes import code_url
from traceability.db import get_engine, session_scope
from traceability.intake.markets import create_market
from traceability.issuing.service import IssueRequest, issue_certificate
from traceability.models import Batch


@dataclass
class MarketFixture:
    id: int
    name: str
    headers: dict[str, str]


@dataclass
class IssuedFixture:
    number: str
    batch_id: int
    producer_id: int
    urls: list[str]


def new_uuid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def make_market(app: Flask) -> Callable[..., MarketFixture]:
    """make_market(name, kind) -> a market and a market_inspector bearer header for it."""

    def _make(name: str = "青禾惠民超市", kind: str = "supermarket") -> MarketFixture:
        with app.app_context(), session_scope(get_engine()) as session:
            market = create_market(
                session,
                name=name,
                kind=kind,
                region="青禾县",
                address=f"{name}地址",
                contact="王经理",
                phone="13900001111",
            )
            _, secret = create_token(
                session, name="inspector", role="market_inspector", market_id=market.id
            )
            return MarketFixture(market.id or 0, name, {"Authorization": f"Bearer {secret}"})

    return _make


@pytest.fixture
def issue(app: Flask, demo: dict[str, Any]) -> Callable[..., IssuedFixture]:
    """issue(batch_index, items) -> a certificate of a demo batch with `items` codes."""

    def _issue(batch_index: int = 0, items: int = 4, gtin_form: bool = False) -> IssuedFixture:
        with app.app_context(), session_scope(get_engine()) as session:
            batch = session.exec(select(Batch).order_by(Batch.id)).all()[batch_index]  # type: ignore[arg-type]
            key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
            issued = issue_certificate(
                session,
                IssueRequest(
                    producer_id=batch.producer_id,
                    batch_id=batch.id,
                    item_count=items,
                    basis=["quality_control"],
                    signature_confirmed=True,
                    gtin_form=gtin_form,
                ),
                key,
            )
            return IssuedFixture(
                issued.certificate.number,
                batch.id or 0,
                batch.producer_id,
                [code_url(app.config["PUBLIC_BASE_URL"], c) for c in issued.codes],
            )

    return _issue


def scan(
    client: FlaskClient, market: MarketFixture, *codes: str, **extra: Any
) -> list[dict[str, Any]]:
    records = [{"uuid": new_uuid(), "code": c, **extra} for c in codes]
    response = client.post("/api/v1/intake", json={"records": records}, headers=market.headers)
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["results"])
