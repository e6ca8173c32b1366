"""A supervisor opens one code's scans, place by place and day by day, to judge a copied label."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import in_session
from tests.traceability.signing_in import sign_in
from tests.traceability.statements import count_statements
from tests.traceability.supervision.test_overview import township_id
from traceability.errors import NotFound, ValidationFailed
from traceability.models import ItemCode, ScanEvent
from traceability.supervision import scan_history as history_module
from traceability.supervision.cloned_codes import suspect_codes
from traceability.supervision.scan_history import ScanHistory, scan_history, serial_of

TOWNSHIPS = ["城关街道", "清河镇", "石门乡"]


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Each scan written in its own request, so the page reads what the phones did."""
    return {**app_config, "SCAN_FLUSH_SECONDS": 0}


def _serial(url: str) -> str:
    return url.split("/C/", 1)[1].split(".")[0]


def _scan(client: FlaskClient, url: str, networks: list[int]) -> None:
    """One scan of the code's URL from each listed /16 network (10.<n>.0.1), in order."""
    path = "/C/" + url.split("/C/", 1)[1]
    for network in networks:
        response = client.get(path, environ_base={"REMOTE_ADDR": f"10.{network}.0.1"})
        assert response.status_code == 200


@pytest.fixture
def code(app: Flask, demo: dict[str, Any]) -> str:
    """A demo code scanned 6 times: twice from network 7, three times from 3, once from 9."""
    url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    _scan(app.test_client(), url, [7, 3, 7, 3, 3, 9])
    return url


def _history(app: Flask, serial: str, scope: set[int] | None = None) -> ScanHistory:
    return in_session(app, lambda s: scan_history(s, scope, serial))


def _add_scans(app: Flask, serial: str, moments: list[tuple[str, str]]) -> None:
    """Scans recorded at chosen instants (UTC ISO, place key), as the lookup writes them."""

    def add(session: Session) -> None:
        item = session.exec(select(ItemCode).where(ItemCode.serial == serial)).one()
        assert item.id is not None
        for at, place in moments:
            session.add(ScanEvent(item_code_id=item.id, place=place, at=datetime.fromisoformat(at)))
        item.scan_count += len(moments)
        session.add(item)
        session.commit()

    in_session(app, add)


def test_places_are_numbered_in_the_order_they_first_scanned_with_their_counts(
    app: Flask, code: str
) -> None:
    found = _history(app, _serial(code))
    assert found.scans == 6
    assert [(p.number, p.scans) for p in found.places] == [(1, 2), (2, 3), (3, 1)]
    assert len({p.key for p in found.places}) == 3
    assert all(p.first_at <= p.last_at for p in found.places)
    assert found.places[0].first_at <= found.places[1].first_at <= found.places[2].first_at
    assert (
        found.owner.certificate_status == "valid"
        and found.owner.product_name
        and found.owner.producer_name
    )
    assert found.owner.township in TOWNSHIPS


def test_a_network_keeps_its_key_from_one_code_to_the_next(
    app: Flask, demo: dict[str, Any], code: str
) -> None:
    other = [c["url"] for c in demo["codes"] if c["status"] == "valid"][1]
    _scan(app.test_client(), other, [9])
    first, second = _history(app, _serial(code)), _history(app, _serial(other))
    assert second.places[0].key == first.places[2].key  # network 9 on both codes
    assert second.places[0].number == 1


def test_days_are_beijing_days_newest_first(app: Flask, demo: dict[str, Any]) -> None:
    """23:30 and 00:30 in Beijing are two days, though both are 1 March in UTC."""
    serial = _serial(demo["codes"][0]["url"])
    _add_scans(
        app,
        serial,
        [
            ("2026-03-01T15:30:00+00:00", "aaaaaaaaaaaaaaaa"),
            ("2026-03-01T16:30:00+00:00", "bbbbbbbbbbbbbbbb"),
            ("2026-03-01T17:00:00+00:00", "aaaaaaaaaaaaaaaa"),
        ],
    )
    found = _history(app, serial)
    assert [(d.day, d.scans, d.places) for d in found.days] == [
        (date(2026, 3, 2), 2, (1, 2)),
        (date(2026, 3, 1), 1, (1,)),
    ]
    assert not found.days_cut


def test_past_the_events_read_the_oldest_partial_day_is_left_out_not_undercounted(
    app: Flask, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = _serial(demo["codes"][0]["url"])
    place = "cccccccccccccccc"
    _add_scans(
        app,
        serial,
        [(f"2026-03-0{day}T02:00:0{n}+00:00", place) for day in (1, 2, 3) for n in range(2)],
    )
    monkeypatch.setattr(history_module, "EVENTS_READ", 3)
    found = _history(app, serial)
    assert [(d.day, d.scans) for d in found.days] == [(date(2026, 3, 3), 2)]
    assert found.days_cut
    assert found.places[0].scans == 6  # the places still count every scan


def test_a_code_outside_the_supervisors_townships_is_not_found_like_an_unknown_one(
    app: Flask, code: str
) -> None:
    serial = _serial(code)
    mine = _history(app, serial).owner.township
    assert mine is not None
    assert _history(app, serial, {township_id(app, mine)}).serial == serial
    elsewhere = next(t for t in TOWNSHIPS if t != mine)
    for scope in ({township_id(app, elsewhere)}, set()):
        with pytest.raises(NotFound) as refused:
            _history(app, serial, scope)
        assert refused.value.code == "code_not_found"
    with pytest.raises(NotFound) as unknown:
        _history(app, "NOSUCHSERIAL")
    assert unknown.value.message_zh == refused.value.message_zh


def test_reading_a_much_scanned_code_takes_as_many_statements_as_a_fresh_one(
    app: Flask, demo: dict[str, Any]
) -> None:
    fresh, busy = (_serial(c["url"]) for c in demo["codes"][:2])
    _scan(app.test_client(), demo["codes"][1]["url"], list(range(12)))
    assert count_statements(app, lambda s: scan_history(s, None, fresh)) == count_statements(
        app, lambda s: scan_history(s, None, busy)
    )


@pytest.mark.parametrize(
    ("typed", "serial"),
    [
        ("https://trace.example.cn/C/abcd2345.KID1.SIG", "ABCD2345"),
        ("  abcd2345 ", "ABCD2345"),
        ("/C/ABCD2345.KID1.SIG?x=1", "ABCD2345"),
        ("ABCD2345?lang=en", "ABCD2345"),
    ],
)
def test_a_serial_or_a_whole_scanned_url_may_be_typed(typed: str, serial: str) -> None:
    assert serial_of(typed) == serial


@pytest.mark.parametrize(("typed", "words"), [("", "请输入或扫描"), ("A" * 600, "太长")])
def test_empty_or_overlong_input_is_refused_in_both_languages(typed: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        serial_of(typed)
    assert words in refused.value.message_zh and refused.value.message_en


@pytest.fixture
def county(app: Flask, client: FlaskClient, demo: dict[str, Any]) -> FlaskClient:
    return sign_in(app, client, "county", role="county_admin")


def test_the_cloned_codes_list_links_each_code_to_its_scans(
    app: Flask, county: FlaskClient, demo: dict[str, Any]
) -> None:
    url = demo["codes"][0]["url"]
    _scan(app.test_client(), url, [1, 2, 3, 4])
    listed = in_session(app, lambda s: suspect_codes(s, None, 90, now=datetime.now(UTC)))
    assert [c.serial for c in listed.codes] == [_serial(url)]
    page = county.get("/supervision/cloned-codes").get_data(as_text=True)
    link = f'href="/supervision/scans?code={_serial(url)}"'
    assert link in page
    scans = county.get(f"/supervision/scans?code={_serial(url)}")
    text = scans.get_data(as_text=True)
    assert scans.status_code == 200 and "追溯码查询记录" in text
    assert text.count('<tr data-place="') == 4 and "标签可能已被复制" in text
    assert 'href="/supervision/scans"' in county.get("/supervision/").get_data(as_text=True)


def test_the_page_takes_a_scanned_url_and_speaks_english(county: FlaskClient, code: str) -> None:
    page = county.get("/supervision/scans", query_string={"code": code, "lang": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-serial="{_serial(code)}"' in text
    assert "Scans of a trace code" in text and "追溯码查询记录" not in text
    assert text.count('<tr data-place="') == 3 and text.count('<tr data-day="') == 1
    assert "the label may have been copied" not in text  # 6 scans, 3 places: plausible


def test_an_unknown_code_is_a_404_on_the_form_with_what_to_do(county: FlaskClient) -> None:
    page = county.get("/supervision/scans?code=NOSUCHSERIAL")
    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "没有找到这个追溯码" in text and 'value="NOSUCHSERIAL"' in text
    assert 'name="code"' in text
    empty = county.get("/supervision/scans?code=+")
    assert empty.status_code == 422 and "请输入或扫描追溯码" in empty.get_data(as_text=True)


def test_the_empty_form_opens_without_a_code(county: FlaskClient) -> None:
    page = county.get("/supervision/scans")
    assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)


def test_a_producer_may_not_open_the_page(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    sign_in(app, client, "grower", role="producer", producer_id=1)
    assert client.get("/supervision/scans?code=X").status_code == 403


def test_a_supervisor_of_another_township_is_told_the_code_is_not_found(
    app: Flask, client: FlaskClient, code: str
) -> None:
    mine = _history(app, _serial(code)).owner.township
    elsewhere = next(t for t in TOWNSHIPS if t != mine)
    sign_in(
        app, client, "far", role="township_supervisor", township_ids=[township_id(app, elsewhere)]
    )
    page = client.get(f"/supervision/scans?code={_serial(code)}")
    assert page.status_code == 404
    assert "没有找到这个追溯码" in page.get_data(as_text=True)
