"""`/healthz` reports the database and whether its schema is at head."""

from __future__ import annotations

from flask.testing import FlaskClient

from traceability import migrate


def test_healthz_reports_database_ok_at_head(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["revision"] == migrate.head_revision()
    assert body["at_head"] is True


def test_healthz_is_degraded_when_schema_is_behind(app_config: dict[str, object]) -> None:
    from traceability import create_app

    app = create_app(app_config)
    migrate.downgrade(str(app_config["DATABASE_URL"]), "base")
    response = app.test_client().get("/healthz")
    app.extensions["db_engine"].dispose()
    assert response.status_code == 503
    assert response.get_json()["at_head"] is False
