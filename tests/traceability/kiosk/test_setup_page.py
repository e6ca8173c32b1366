"""Binding a kiosk browser to its terminal (/kiosk/setup, done once by staff): a wrong
credential is refused with its own status and a reason in the page's language, an empty
one is sent back to correct; neither binds the browser."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.traceability.compliance.conftest import in_session
from tests.traceability.signing_in import form_csrf
from traceability.kiosk.terminals import enrol, register_terminal


def _credential(session: Session) -> str:
    registered = register_terminal(session, name="清河镇一号机", township_id=None)
    _, credential = enrol(session, registered.enrolment_code)
    return credential


def _bind(client: FlaskClient, credential: str, query: str = "") -> tuple[int, str]:
    token = form_csrf(client, "/kiosk/setup" + query)
    response = client.post(
        "/kiosk/setup" + query, data={"credential": credential, "csrf_token": token}
    )
    return response.status_code, response.get_data(as_text=True)


def test_the_terminal_credential_binds_the_browser_to_the_kiosk_screen(
    app: Flask, client: FlaskClient
) -> None:
    credential = in_session(app, _credential)
    assert _bind(client, credential)[0] == 302
    assert client.get("/kiosk").status_code == 200


def test_a_wrong_credential_is_refused_with_401_in_the_pages_language(
    app: Flask, client: FlaskClient
) -> None:
    credential = in_session(app, _credential)
    status, page = _bind(client, credential[:-2] + "xx")
    assert status == 401
    assert "终端凭证无效或已吊销" in page
    status, page = _bind(client, credential[:-2] + "xx", "?lang=en")
    assert status == 401
    assert "The device credential is invalid or revoked" in page
    assert client.get("/kiosk").status_code == 302  # still not bound: back to setup


def test_an_empty_credential_is_sent_back_to_correct_as_a_422(
    app: Flask, client: FlaskClient
) -> None:
    status, page = _bind(client, "")
    assert status == 422
    assert 'name="credential"' in page
    assert client.get("/kiosk").status_code == 302
