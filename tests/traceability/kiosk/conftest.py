"""The kiosk's test client: a browser bound to a terminal, the 黄瓜 producer signed in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import in_session
from traceability.kiosk import terminals
from traceability.models import Batch


@pytest.fixture
def kiosk(app: Flask, client: FlaskClient, demo: dict[str, Any], cucumbers: Batch) -> FlaskClient:
    """The client as a kiosk browser bound to a terminal, the 黄瓜 producer signed in."""
    terminal_id = in_session(
        app, lambda s: terminals.register_terminal(s, name="清河镇", township_id=None).terminal.id
    )
    with client.session_transaction() as session:
        session["kiosk_terminal"] = terminal_id
    page = client.get("/kiosk").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match is not None
    client.environ_base["HTTP_X_CSRFTOKEN"] = match.group(1)
    client.environ_base["HTTP_ACCEPT"] = "application/json"  # as kiosk.js asks
    [card] = [c for c in demo["kiosk_cards"] if c["producer_id"] == cucumbers.producer_id]
    answer = client.post("/kiosk/api/signin", json={"identifier": card["card"], "pin": card["pin"]})
    assert answer.status_code == 200, answer.get_json()
    return client
