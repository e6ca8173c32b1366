"""Certificates on the staff pages: a producer finds and revokes its own, a supervisor those of
its townships, with a reason; nobody reads another's.

Before these pages, revoking a certificate issued by mistake took the API or a command.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.traceability.signing_in import form_csrf, sign_in
from traceability.db import get_engine, session_scope
from traceability.models import AuditEntry, Certificate, Producer, Region


def _certificates(app: Flask) -> dict[str, Certificate]:
    with app.app_context(), session_scope(get_engine()) as session:
        rows = session.exec(select(Certificate)).all()
        for row in rows:
            session.expunge(row)
        return {c.number: c for c in rows}


def _listed(client: FlaskClient, query: str = "") -> list[str]:
    html = client.get("/admin/certificates" + query).get_data(as_text=True)
    return [part.split('"', 1)[0] for part in html.split('<tr data-number="')[1:]]


def _valid_one(app: Flask, demo: dict[str, Any]) -> Certificate:
    number = next(c["number"] for c in demo["codes"] if c["status"] == "valid")
    return _certificates(app)[number]


def test_a_producer_lists_and_revokes_its_own_certificate_with_a_reason(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    mine = _valid_one(app, demo)
    sign_in(app, client, "grower", role="producer", producer_id=mine.producer_id)
    own = {n for n, c in _certificates(app).items() if c.producer_id == mine.producer_id}
    assert set(_listed(client)) == own
    page = client.get(f"/admin/certificates/{mine.number}").get_data(as_text=True)
    assert mine.product_name in page and "撤销合格证" in page
    path = f"/admin/certificates/{mine.number}/revoke"
    csrf = form_csrf(client, f"/admin/certificates/{mine.number}")
    refused = client.post(path, data={"csrf_token": csrf, "reason": "  "}, follow_redirects=True)
    assert "请填写撤销原因" in refused.get_data(as_text=True)
    assert _certificates(app)[mine.number].status == "valid"  # no reason, nothing revoked
    done = client.post(path, data={"csrf_token": csrf, "reason": "数量填错，重新开具"})
    assert done.status_code == 302
    revoked = _certificates(app)[mine.number]
    assert (revoked.status, revoked.revoke_reason) == ("revoked", "数量填错，重新开具")
    with app.app_context(), session_scope(get_engine()) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "certificate.revoke")
            .where(AuditEntry.object_id == mine.number)
        ).one()  # fmt: skip
        assert entry.actor.startswith("user:") and entry.reason == "数量填错，重新开具"
    # every code of it now reads revoked for a shopper
    url = next(c["url"] for c in demo["codes"] if c["number"] == mine.number)
    answer = client.get("/C/" + url.split("/C/", 1)[1] + "?format=json").get_json()
    assert answer["verdict"]["status"] == "revoked"
    assert _listed(client, "?status=revoked") and mine.number in _listed(client, "?status=revoked")


def test_a_producer_cannot_read_or_revoke_anothers_certificate(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    theirs = _valid_one(app, demo)
    with app.app_context(), session_scope(get_engine()) as session:
        other = session.exec(select(Producer).where(Producer.id != theirs.producer_id)).first()
        assert other is not None
        other_id = other.id
    sign_in(app, client, "neighbour", role="producer", producer_id=other_id)
    assert theirs.number not in _listed(client)
    assert client.get(f"/admin/certificates/{theirs.number}").status_code == 403
    csrf = form_csrf(client, "/admin/certificates")
    answer = client.post(
        f"/admin/certificates/{theirs.number}/revoke", data={"csrf_token": csrf, "reason": "x"}
    )
    assert answer.status_code == 403
    assert _certificates(app)[theirs.number].status == "valid"


def test_a_supervisor_sees_only_its_townships_certificates(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        town = session.exec(select(Region).where(Region.name == "城关街道")).one().id
        assert town is not None
    sign_in(app, client, "sup", role="township_supervisor", township_ids=[town])
    listed = set(_listed(client))
    every = _certificates(app)
    with app.app_context(), session_scope(get_engine()) as session:
        from traceability.registry.scope import township_of_producer

        inside = {
            n for n, c in every.items() if township_of_producer(session, c.producer_id) == town
        }
    assert listed == inside and inside != set(every)  # the demo issued in more than one


def test_the_search_finds_by_number_and_by_product(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "county", role="county_admin")
    some = _valid_one(app, demo)
    assert _listed(client, f"?q={some.number}") == [some.number]
    assert some.number in _listed(client, f"?q={some.product_name[:1]}")
    assert _listed(client, "?q=%25") == []  # a % is a character, not a wildcard
