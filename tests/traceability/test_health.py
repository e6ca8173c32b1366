"""`/healthz` reports the database and whether its schema is at head."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from traceability import keystore, migrate
from traceability.db import get_engine, session_scope


def _key(app: Flask, passphrase: str | None = None) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        keystore.create_key(session, passphrase or app.config["SIGNING_KEY_PASSPHRASE"])


def test_healthz_reports_database_ok_at_head(app: Flask, client: FlaskClient) -> None:
    _key(app)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["signing_key"] == "ok"
    assert body["revision"] == migrate.head_revision()
    assert body["at_head"] is True


def test_healthz_is_degraded_without_a_signing_key(client: FlaskClient) -> None:
    """Nothing could be issued and no answer signed: `traceability init` was not run."""
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["signing_key"] == "missing"


def test_healthz_is_degraded_when_the_passphrase_does_not_open_the_key(
    app: Flask, client: FlaskClient
) -> None:
    """A database restored under a running service with another settings file's key."""
    _key(app, "another settings file's passphrase")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert (body["status"], body["signing_key"]) == ("degraded", "unusable")


def test_healthz_is_degraded_when_schema_is_behind(app_config: dict[str, object]) -> None:
    from traceability import create_app

    app = create_app(app_config)
    migrate.downgrade(str(app_config["DATABASE_URL"]), "base")
    response = app.test_client().get("/healthz")
    app.extensions["db_engine"].dispose()
    assert response.status_code == 503
    assert response.get_json()["at_head"] is False
