"""The audit log is searched the way people remember: by username or name, and by day.

Before, the actor filter took only the key (`user:5`), which nobody knows, and there was no
way to ask for one day's entries.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.signing_in import sign_in
from traceability.audit import record_audit
from traceability.db import get_engine, session_scope
from traceability.models import User


def _seed(app: Flask) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        user = session.exec(select(User).where(User.username == "auditor")).one()
        early = record_audit(
            session, f"user:{user.id}", "producer.suspend", object_type="producer", object_id=7
        )
        early.at = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 2026-03-01 23:30 in Beijing
        late = record_audit(session, "token:3", "certificate.issue", object_id=9)
        late.at = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 2026-03-02 00:30 in Beijing
        named = record_audit(session, "cli:local", "recall.create", object_id=2)
        named.actor_name = "张伟"
        named.at = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)


def _objects(client: FlaskClient, query: str) -> list[str]:
    response = client.get("/admin/audit/export?format=csv&" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = response.get_data(as_text=True).splitlines()[1:]
    # only the seeded entries: the sign-in and the exports themselves are on record too
    seeded = {"producer.suspend", "certificate.issue", "recall.create"}
    return sorted(row.split(",")[6] for row in rows if row.split(",")[4] in seeded)


def test_the_actor_filter_takes_a_username_a_recorded_name_or_a_key(
    app: Flask, client: FlaskClient
) -> None:
    sign_in(app, client, "auditor", role="county_admin")
    _seed(app)
    assert _objects(client, "actor=auditor&object_type=producer") == ["7"]
    assert _objects(client, "actor=张伟") == ["2"]
    assert _objects(client, "actor=token:3") == ["9"]
    assert _objects(client, "actor=nobody") == []


def test_the_day_filters_are_beijing_days_both_inclusive(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "auditor", role="county_admin")
    _seed(app)
    assert _objects(client, "from=2026-03-01&to=2026-03-01") == ["7"]
    assert _objects(client, "from=2026-03-02&to=2026-03-04") == ["9"]
    assert _objects(client, "from=2026-03-02") == ["2", "9"]
    assert _objects(client, "to=2026-03-04") == ["7", "9"]
    page = client.get("/admin/audit?from=2026-03-01&to=2026-03-01").get_data(as_text=True)
    assert 'value="2026-03-01"' in page and "producer.suspend" in page
    assert "certificate.issue" not in page


def test_a_day_that_is_not_a_date_is_refused_in_words(app: Flask, client: FlaskClient) -> None:
    sign_in(app, client, "auditor", role="county_admin")
    response = client.get("/admin/audit?from=2026-02-30")
    assert response.status_code == 422
    assert "不是有效日期" in response.get_data(as_text=True)
