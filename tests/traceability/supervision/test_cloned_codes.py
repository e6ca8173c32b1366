"""Codes scanned more than one package would be are listed for the supervisors in charge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import in_session
from tests.traceability.signing_in import sign_in
from tests.traceability.statements import count_statements
from tests.traceability.supervision.test_overview import township_id
from traceability.models.types import utcnow
from traceability.supervision.cloned_codes import SuspectCodes, parse_days, suspect_codes

TOWNSHIPS = ["城关街道", "清河镇", "石门乡"]


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Each scan written in its own request, so the page reads what the phones did."""
    return {**app_config, "SCAN_FLUSH_SECONDS": 0}


def _path(url: str) -> str:
    return "/C/" + url.split("/C/", 1)[1]


def _serial(url: str) -> str:
    return url.split("/C/", 1)[1].split(".")[0]


def _scan(client: FlaskClient, url: str, times: int, networks: int = 1) -> None:
    """`times` scans of a code's URL, spread over `networks` different /16 networks."""
    for n in range(times):
        address = f"10.{n % networks}.0.1"
        assert client.get(_path(url), environ_base={"REMOTE_ADDR": address}).status_code == 200


@pytest.fixture
def scanned(app: Flask, demo: dict[str, Any]) -> dict[str, str]:
    """Three demo codes: copied (21 scans), busy but plausible (20), from 4 places (4 scans)."""
    valid = [c["url"] for c in demo["codes"] if c["status"] == "valid"]
    revoked = next(c["url"] for c in demo["codes"] if c["status"] == "revoked")
    client = app.test_client()
    _scan(client, valid[0], 21)
    _scan(client, valid[1], 20)
    _scan(client, revoked, 4, networks=4)
    return {"copied": valid[0], "plausible": valid[1], "places": revoked}


def _found(app: Flask, scope: set[int] | None = None, days: int = 90) -> SuspectCodes:
    return in_session(app, lambda s: suspect_codes(s, scope, days, now=utcnow()))


def test_codes_past_twenty_scans_or_three_places_are_listed_most_scanned_first(
    app: Flask, scanned: dict[str, str]
) -> None:
    found = _found(app)
    assert [(c.serial, c.scans, c.places) for c in found.codes] == [
        (_serial(scanned["copied"]), 21, 1),
        (_serial(scanned["places"]), 4, 4),
    ]
    copied, places = found.codes
    assert (
        copied.owner.certificate_status == "valid" and places.owner.certificate_status == "revoked"
    )
    assert copied.first_scan_at is not None and copied.last_scan_at is not None
    assert (
        copied.owner.township in TOWNSHIPS
        and copied.owner.producer_name
        and copied.owner.product_name
    )
    assert not found.more


def test_only_certificates_of_the_chosen_days_are_read(app: Flask, scanned: dict[str, str]) -> None:
    later = in_session(app, lambda s: suspect_codes(s, None, 1, now=utcnow() + timedelta(days=2)))
    assert later.codes == []


def test_a_township_supervisor_sees_only_codes_of_its_townships(
    app: Flask, scanned: dict[str, str]
) -> None:
    everything = _found(app)
    for name in TOWNSHIPS:
        mine = _found(app, {township_id(app, name)})
        assert [c.serial for c in mine.codes] == [
            c.serial for c in everything.codes if c.owner.township == name
        ]
    assert _found(app, set()).codes == []


def test_the_search_takes_as_many_statements_for_many_suspect_codes_as_for_none(
    app: Flask, demo: dict[str, Any]
) -> None:
    none = count_statements(app, lambda s: suspect_codes(s, None, 90, now=utcnow()))
    client = app.test_client()
    for code in demo["codes"]:
        _scan(client, code["url"], 21)
    many = count_statements(app, lambda s: suspect_codes(s, None, 90, now=utcnow()))
    assert len(_found(app).codes) == 3 and many == none


@pytest.mark.parametrize("value", ["0", "366", "abc", "²", "-1"])
def test_days_outside_one_to_365_are_refused_in_both_languages(value: str) -> None:
    with pytest.raises(Exception) as refused:
        parse_days(value)
    assert "1 至 365" in refused.value.message_zh  # type: ignore[attr-defined]
    assert "1 to 365" in refused.value.message_en  # type: ignore[attr-defined]


@pytest.fixture
def county(app: Flask, client: FlaskClient, demo: dict[str, Any]) -> FlaskClient:
    return sign_in(app, client, "county", role="county_admin")


def test_the_page_lists_the_codes_and_the_overview_links_to_it(
    county: FlaskClient, scanned: dict[str, str]
) -> None:
    overview = county.get("/supervision/").get_data(as_text=True)
    assert 'href="/supervision/cloned-codes"' in overview
    page = county.get("/supervision/cloned-codes").get_data(as_text=True)
    assert "疑似被复制的追溯码" in page and "超过 20 次" in page
    assert f'data-serial="{_serial(scanned["copied"])}"' in page
    assert f'data-serial="{_serial(scanned["places"])}"' in page and "已撤销" in page
    assert _serial(scanned["plausible"]) not in page
    english = county.get("/supervision/cloned-codes?lang=en").get_data(as_text=True)
    assert "Codes that may have been copied" in english and "疑似被复制" not in english


def test_a_bad_number_of_days_is_a_422_the_supervisor_can_act_on(county: FlaskClient) -> None:
    response = county.get("/supervision/cloned-codes?days=0")
    assert response.status_code == 422
    assert "1 至 365 之间的整数" in response.get_data(as_text=True)


def test_a_producer_may_not_open_the_page(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "grower", role="producer", producer_id=1)
    assert client.get("/supervision/cloned-codes").status_code == 403


def test_a_township_supervisor_of_another_township_sees_none_of_them(
    app: Flask, client: FlaskClient, scanned: dict[str, str]
) -> None:
    found = _found(app)
    elsewhere = next(t for t in TOWNSHIPS if t not in {c.owner.township for c in found.codes})
    sign_in(
        app, client, "far", role="township_supervisor", township_ids=[township_id(app, elsewhere)]
    )
    page = client.get("/supervision/cloned-codes").get_data(as_text=True)
    assert "没有疑似被复制的追溯码" in page
