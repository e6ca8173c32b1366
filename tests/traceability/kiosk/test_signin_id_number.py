"""Signing in at the kiosk with an ID-card number, as docs/kiosk.md promises.

The registry keeps only a keyed digest of the number (`IdNumberVault`); sign-in digests
what was typed the same way, with a lower-case x or spaces forgiven, and a number the
registry does not hold is the same refusal as a wrong card.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import in_session
from traceability.models import Batch, Producer
from traceability.registry.pii import IdNumberVault

ID_NUMBER = "11010119900307002X"  # a valid check character: X


@pytest.fixture
def registered_id(app: Flask, cucumbers: Batch) -> str:
    vault = IdNumberVault.from_config(app.config)

    def store(session: Any) -> None:
        producer = session.get_one(Producer, cucumbers.producer_id)
        producer.id_number_digest = vault.digest(ID_NUMBER)
        session.add(producer)

    in_session(app, store)
    return ID_NUMBER


def sign_in(kiosk: FlaskClient, identifier: str, pin: str = "123456") -> Any:
    return kiosk.post("/kiosk/api/signin", json={"identifier": identifier, "pin": pin})


@pytest.mark.parametrize("typed", [ID_NUMBER, ID_NUMBER.lower(), " 110101 19900307 002X "])
def test_the_registered_id_number_and_pin_sign_the_producer_in(
    kiosk: FlaskClient, cucumbers: Batch, registered_id: str, typed: str
) -> None:
    answer = sign_in(kiosk, typed)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["producer"]["id"] == cucumbers.producer_id


def test_an_id_number_nobody_registered_is_refused_like_a_wrong_card(
    kiosk: FlaskClient, registered_id: str
) -> None:
    other = sign_in(kiosk, "110101199003070011")
    assert other.status_code == 401, other.get_json()
    assert other.get_json()["error"] == "wrong_pin"


def test_the_registered_id_number_with_a_wrong_pin_is_refused(
    kiosk: FlaskClient, registered_id: str
) -> None:
    answer = sign_in(kiosk, registered_id, pin="000000")
    assert (answer.status_code, answer.get_json()["error"]) == (401, "wrong_pin")
