"""POST /api/v1/certificates: authenticated, owner-checked, idempotent issuing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from traceability.db import get_engine
from traceability.models import Batch, Certificate, Producer, ProducerKind


def _batch(app: Flask, kind: ProducerKind = ProducerKind.ENTERPRISE) -> Batch:
    with app.app_context(), Session(get_engine()) as session:
        producer = session.exec(select(Producer).where(Producer.kind == kind)).one()
        return session.exec(select(Batch).where(Batch.producer_id == producer.id)).first()  # type: ignore[return-value]


def _body(batch: Batch, **extra: Any) -> dict[str, Any]:
    body = {
        "producer_id": batch.producer_id,
        "batch_id": batch.id,
        "items": 3,
        "basis": ["quality_control"],
        "signature_confirmed": True,
    }
    body.update(extra)
    return body


def _certificates(app: Flask) -> int:
    with app.app_context(), Session(get_engine()) as session:
        return int(session.exec(select(func.count()).select_from(Certificate)).one())


def test_issuing_needs_a_token(client: FlaskClient, app: Flask, demo: dict) -> None:
    response = client.post("/api/v1/certificates", json=_body(_batch(app)))
    assert response.status_code == 401
    assert response.get_json()["message_zh"]


def test_an_invalid_token_is_refused(client: FlaskClient, app: Flask, demo: dict) -> None:
    headers = {"Authorization": "Bearer trc_deadbeef_notarealtoken"}
    assert (
        client.post("/api/v1/certificates", json=_body(_batch(app)), headers=headers).status_code
        == 401
    )


def test_a_producer_token_issues_for_its_own_producer_only(
    client: FlaskClient,
    app: Flask,
    demo: dict,
    make_token: Callable[..., dict[str, str]],
) -> None:
    own = _batch(app)
    other = _batch(app, ProducerKind.COOPERATIVE)
    headers = make_token("producer", own.producer_id)
    assert client.post("/api/v1/certificates", json=_body(own), headers=headers).status_code == 201
    before = _certificates(app)
    refused = client.post("/api/v1/certificates", json=_body(other), headers=headers)
    assert refused.status_code == 403
    assert _certificates(app) == before


def test_issuing_answers_the_certificate_and_one_url_per_item(
    client: FlaskClient,
    app: Flask,
    demo: dict,
    make_token: Callable[..., dict[str, str]],
) -> None:
    response = client.post("/api/v1/certificates", json=_body(_batch(app)), headers=make_token())
    assert response.status_code == 201
    body = response.get_json()
    assert body["certificate"]["product_name"] == "黄瓜"
    assert [i["seq"] for i in body["items"]] == [1, 2, 3]
    assert all(i["url"].startswith("HTTP://LOCALHOST/C/") for i in body["items"])


def test_gs1_digital_link_form_is_valid_gs1_syntax(
    client: FlaskClient,
    app: Flask,
    demo: dict,
    make_token: Callable[..., dict[str, str]],
) -> None:
    response = client.post(
        "/api/v1/certificates",
        json=_body(_batch(app), gtin_form=True, items=1),
        headers=make_token(),
    )
    assert response.status_code == 201, response.get_json()
    link = response.get_json()["items"][0]["gs1_url"]
    parsed = GS1DigitalLinkURI.parse(link)
    ais = {es.ai.ai: es.value for es in parsed.element_strings}
    assert ais["01"] == "06901234567892"
    assert len(ais["8030"]) == 90
    assert ais["21"] in response.get_json()["items"][0]["serial"]
    lookup = client.get(link.split("LOCALHOST", 1)[1], headers={"Accept": "application/json"})
    assert lookup.get_json()["verdict"]["status"] == "genuine"


def test_bad_json_gets_a_4xx_in_both_languages(
    client: FlaskClient,
    app: Flask,
    demo: dict,
    make_token: Callable[..., dict[str, str]],
) -> None:
    headers = make_token()
    for payload in (
        "[1,2]",
        "not json",
        '{"producer_id": "x"}',
        '{"producer_id": 1, "items": true}',
    ):
        response = client.post(
            "/api/v1/certificates", data=payload, content_type="application/json", headers=headers
        )
        assert 400 <= response.status_code < 500
        assert response.get_json()["message_en"]


def test_a_retried_request_returns_the_first_certificate(
    client: FlaskClient,
    app: Flask,
    demo: dict,
    make_token: Callable[..., dict[str, str]],
) -> None:
    headers = {**make_token(), "Idempotency-Key": "kiosk-7-job-42"}
    body = _body(_batch(app))
    first = client.post("/api/v1/certificates", json=body, headers=headers)
    before = _certificates(app)
    second = client.post("/api/v1/certificates", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    assert _certificates(app) == before
    reused = client.post("/api/v1/certificates", json={**body, "items": 4}, headers=headers)
    assert reused.status_code == 422
    assert reused.get_json()["error"] == "idempotency_key_reused"


def test_revoking_through_the_api(
    client: FlaskClient,
    app: Flask,
    demo: dict,
    make_token: Callable[..., dict[str, str]],
) -> None:
    headers = make_token()
    issued = client.post(
        "/api/v1/certificates", json=_body(_batch(app)), headers=headers
    ).get_json()
    number = issued["certificate"]["number"]
    missing_reason = client.post(f"/api/v1/certificates/{number}/revoke", json={}, headers=headers)
    assert missing_reason.status_code == 422
    done = client.post(
        f"/api/v1/certificates/{number}/revoke", json={"reason": "标签错误"}, headers=headers
    )
    assert done.get_json()["status"] == "revoked"
    path = issued["items"][0]["url"].split("LOCALHOST", 1)[1]
    verdict = client.get(path, headers={"Accept": "application/json"}).get_json()["verdict"]
    assert verdict["status"] == "revoked" and verdict["reason"] == "标签错误"
