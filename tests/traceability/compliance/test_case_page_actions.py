"""The case page offers each person the steps they may take: a producer on its own case asks
for its re-test (while the window runs) and nothing else; a supervisor manages the case. A
step the role may not take is refused as the role's, not as "another producer's records"."""

from __future__ import annotations

import html
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import failed_enzyme_case, in_session
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.compliance import cases
from traceability.models import Batch

MANAGING = ('value="disposal"', 'value="investigate"', 'value="close"')


def _failed(app: Flask, batch: Batch, hours_ago: float = 0.1) -> int:
    return failed_enzyme_case(app, batch, hours_ago=hours_ago)[0]


def _producer(app: Flask, client: FlaskClient, batch: Batch) -> FlaskClient:
    return sign_in(app, client, "farm", role="producer", producer_id=batch.producer_id)


def test_a_producer_on_its_own_case_is_offered_only_the_retest_request(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers)
    page = _producer(app, client, cucumbers).get(f"/compliance/cases/{case_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="retest-request"' in text
    assert not any(option in text for option in MANAGING)
    assert 'name="outcome"' not in text and 'name="disposal"' not in text


def test_a_producer_asks_for_its_retest_on_the_page(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers)
    producer = _producer(app, client, cucumbers)
    path = f"/compliance/cases/{case_id}"
    data = {"csrf_token": form_csrf(producer, path), "action": "retest-request"}
    assert producer.post(path, data=data).status_code == 302
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.state == "retest_requested" and case.retest_requested_at is not None
    page = producer.get(path).get_data(as_text=True)
    assert 'value="retest-request"' not in page  # asked once: nothing left to ask
    assert '<form method="post" class="form">' not in page


def test_no_retest_request_is_offered_once_the_window_has_closed(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers, hours_ago=5)
    page = _producer(app, client, cucumbers).get(f"/compliance/cases/{case_id}")
    assert 'value="retest-request"' not in page.get_data(as_text=True)


def test_a_producer_closing_its_own_case_is_refused_for_its_role(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers)
    producer = _producer(app, client, cucumbers)
    path = f"/compliance/cases/{case_id}"
    for action in ("disposal", "investigate", "close"):
        data = {"csrf_token": form_csrf(producer, path), "action": action, "disposal": "已销毁"}
        response = producer.post(path, data=data)
        assert response.status_code == 403
        page = html.unescape(response.get_data(as_text=True))
        assert "您的角色无权进行此操作" in page and "Your role may not do this" in page
        assert "另一" not in page and "another producer" not in page
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.state == "disposal" and case.disposal == ""


def test_the_api_refuses_a_producer_closing_its_own_case_for_its_role(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    case_id = _failed(app, cucumbers)
    own = make_token("producer", producer_id=cucumbers.producer_id)
    response = client.post(
        f"/api/v1/cases/{case_id}/close", json={"outcome": "cleared", "note": "x"}, headers=own
    )
    assert response.status_code == 403
    answer = response.get_json()
    assert answer["error"] == "role_not_allowed"
    assert answer["message_en"] == "Your role may not do this."


def test_another_producer_is_still_told_the_records_are_not_its_own(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    case_id = _failed(app, cucumbers)
    other = make_token("producer", producer_id=cucumbers.producer_id + 1)
    response = client.post(f"/api/v1/cases/{case_id}/retest-request", headers=other)
    assert response.status_code == 403
    assert "another producer's records" in response.get_json()["message_en"]


def test_a_supervisor_is_offered_every_step(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed(app, cucumbers)
    text = admin.get(f"/compliance/cases/{case_id}").get_data(as_text=True)
    assert all(option in text for option in MANAGING)
    assert 'value="retest-request"' in text and 'name="outcome"' in text and 'name="note"' in text
