"""Public lookups answer from per-certificate facts and pages kept in the worker: each
code still shows its own number, scans and verdict, and a revocation shows at once."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.traceability.smallholder import issue_as_smallholder
from traceability import keystore
from traceability.beijing_time import format_beijing
from traceability.codes import canonical_json, code_url, sign_item_code, verify_jws
from traceability.compliance.testing import record_test
from traceability.db import get_engine
from traceability.issuing.revocation import find_certificate, revoke_item
from traceability.lookup.service import LookupResult, lookup
from traceability.lookup.snapshots import (
    MAX_PAGES_PER_CERTIFICATE,
    CertificateFacts,
    facts_cache,
)

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
MARKERS = (
    "<!--lookup:item-seq-->",
    "<!--lookup:scans-->",
    "<!--lookup:scan-count-->",
    "<!--lookup:first-scan-->",
)


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Workers would check the revision only hourly here: what shows at once shows because
    the change was made in this process. Scans wait for an explicit flush."""
    return {**app_config, "LOOKUP_FRESHNESS_SECONDS": 3600, "SCAN_FLUSH_SECONDS": 3600}


def _path(url: str) -> str:
    return "/C/" + url.split("/C/", 1)[1]


def _issue(app: Flask, *, items: int = 3, product_name: str = "小白菜") -> tuple[str, list[str]]:
    """(certificate number, code paths in item order), issued by the demo smallholder."""
    issued = issue_as_smallholder(app, items=items, product_name=product_name)
    paths = [_path(code_url(app.config["PUBLIC_BASE_URL"], code)) for code in issued.codes]
    return issued.certificate.number, paths


def _serial(path: str) -> str:
    return path.split("/C/", 1)[1].split(".")[0]


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert not any(marker in page for marker in MARKERS)
    return page


def _json(client: FlaskClient, path: str) -> dict[str, Any]:
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code in (200, 400)
    body: dict[str, Any] = response.get_json()
    return body


def _kept(app: Flask, number: str) -> CertificateFacts:
    """The certificate's facts as the worker keeps them (failing if it has to load them)."""
    cache = facts_cache(app)
    assert cache is not None
    with Session(get_engine(app)) as session:
        certificate_id = find_certificate(session, number).id
        assert certificate_id is not None

        def not_kept() -> CertificateFacts:
            raise AssertionError("the worker did not keep this certificate's facts")

        return cache.certificate(session, certificate_id, not_kept)


def test_codes_of_one_certificate_show_their_own_number_and_scans_in_chinese(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    number, (first, second, _third) = _issue(app)
    assert "<dd>1 / 3</dd>" in (page := _page(client, first)) and "第 1 次查询" in page
    assert "<dd>2 / 3</dd>" in (page := _page(client, second)) and "第 1 次查询" in page
    page = _page(client, first)
    assert "<dd>1 / 3</dd>" in page and "第 2 次查询" in page
    assert "<dd>2 / 3</dd>" not in page and "第 1 次查询" not in page
    assert "小白菜" in page and "真品" in page and 'lang="zh-CN"' in page
    assert len(_kept(app, number).pages) == 1  # one page served all three lookups


def test_codes_of_one_certificate_show_their_own_number_and_scans_in_english(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    number, (first, second, third) = _issue(app)
    _page(client, first)  # the Chinese page is kept first
    pages = [_page(client, path + "?lang=en") for path in (first, second, third, first)]
    expected = [("1 / 3", 2), ("2 / 3", 1), ("3 / 3", 1), ("1 / 3", 3)]
    for page, (item, scans) in zip(pages, expected, strict=True):
        assert f"<dd>{item}</dd>" in page and re.search(rf"Lookup no\. {scans}\b", page)
        assert 'lang="en"' in page and "Genuine" in page and "次查询" not in page
    assert len(_kept(app, number).pages) == 2  # one per language


def test_a_product_name_holding_the_markers_is_shown_escaped_and_left_alone(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    name = "有机<!--lookup:item-seq-->菠菜<!--lookup:scans-->"
    _, (first, second) = _issue(app, items=2, product_name=name)
    for path in (first, second, first):
        page = _page(client, path)
        assert "有机&lt;!--lookup:item-seq--&gt;菠菜&lt;!--lookup:scans--&gt;" in page
    assert "<dd>1 / 2</dd>" in page and "第 2 次查询" in page
    assert page.count("<dd>1 / 2</dd>") == 1 and page.count('class="scans"') == 1


def test_a_revocation_through_the_app_shows_at_once_on_page_and_json(
    app: Flask,
    client: FlaskClient,
    demo: dict[str, Any],
    make_token: Callable[..., dict[str, str]],
) -> None:
    number, (first, second) = _issue(app, items=2)
    assert "真品" in _page(client, first)
    assert _json(client, first)["verdict"]["status"] == "genuine"
    answer = client.post(
        f"/api/v1/certificates/{number}/revoke",
        json={"reason": "复检不合格，召回"},
        headers=make_token("county_admin"),
    )
    assert answer.status_code == 200 and answer.get_json()["changed"] is True
    for path in (first, second):
        page = _page(client, path)
        assert 'data-verdict="revoked"' in page and "复检不合格，召回" in page
        verdict = _json(client, path)["verdict"]
        assert (verdict["status"], verdict["reason"]) == ("revoked", "复检不合格，召回")
        assert _json(client, path)["certificate"]["status"] == "revoked"


def test_a_code_revoked_on_its_own_reads_revoked_while_its_siblings_stay_genuine(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    _, (first, second, third) = _issue(app)
    assert all("真品" in _page(client, path) for path in (first, second, third))
    with Session(get_engine(app)) as session:
        revoke_item(session, _serial(first), "标签破损", actor="test")
        revoke_item(session, _serial(second), "标签丢失", actor="test")
        session.commit()
    for path, reason, other in ((first, "标签破损", "标签丢失"), (second, "标签丢失", "标签破损")):
        page = _page(client, path)
        assert 'data-verdict="revoked"' in page and reason in page and other not in page
    kept = _page(client, third)
    assert 'data-verdict="genuine"' in kept and "标签" not in kept
    assert "<dd>3 / 3</dd>" in kept and "第 2 次查询" in kept


def _demo_paths(demo: dict[str, Any]) -> dict[str, str]:
    valid = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    revoked = next(c["url"] for c in demo["codes"] if c["status"] == "revoked")
    return {"genuine": _path(valid), "revoked": _path(revoked), "malformed": "/C/NOT-A-CODE"}


@pytest.mark.parametrize("status", ["genuine", "revoked", "malformed"])
def test_the_signed_payload_is_the_json_answer_itself(
    client: FlaskClient, demo: dict[str, Any], status: str
) -> None:
    jwks = client.get("/.well-known/jwks.json").get_json()
    for _ in range(2):  # the first answer loads the certificate's facts, the second reuses them
        body = _json(client, _demo_paths(demo)[status])
        assert body["verdict"]["status"] == status
        signed = verify_jws(body.pop("jws"), jwks)
        assert signed == body


def _with_a_rapid_test(app: Flask, demo: dict[str, Any]) -> None:
    """The valid demo certificate's batch gets a test: non-ASCII, nested lists, a decimal."""
    number = next(c["number"] for c in demo["codes"] if c["status"] == "valid")
    with Session(get_engine(app)) as session:
        batch_id = find_certificate(session, number).batch_id
        values = {
            "method": "enzyme_inhibition",
            "batch_id": batch_id,
            "inhibition_rate": "12.5",
            "operator": "快检员",
        }
        record_test(session, values, recorded_by="test")
        session.commit()


@pytest.mark.parametrize("status", ["genuine", "revoked", "malformed"])
def test_canonical_json_of_a_result_is_canonical_json_of_its_dict(
    app: Flask, demo: dict[str, Any], status: str
) -> None:
    _with_a_rapid_test(app, demo)
    text = "http://localhost" + _demo_paths(demo)[status]
    with app.app_context(), Session(get_engine()) as session:
        result: LookupResult = lookup(
            session, text, database=app.config["DATABASE_URL"], record_scan=False
        )
    assert result.status == status
    assert result.to_canonical_json() == canonical_json(result.to_dict())
    if status == "genuine":
        assert result.to_dict()["certificate"]["tests"][0]["inhibition_rate"] == "12.50"


def test_canonical_json_stays_canonical_with_only_the_certificate_and_verdict(
    app: Flask, demo: dict[str, Any]
) -> None:
    """The kept parts are spliced around the code's members; without any there is no
    stray comma."""
    text = "http://localhost" + _demo_paths(demo)["genuine"]
    with app.app_context(), Session(get_engine()) as session:
        result = lookup(session, text, database=app.config["DATABASE_URL"], record_scan=False)
    result.parsed = None
    result.item = None
    payload = result.to_canonical_json()
    assert payload == canonical_json(result.to_dict())
    assert list(json.loads(payload)) == ["certificate", "verdict"]


def test_a_code_identical_to_its_stored_row_is_genuine(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    path = _demo_paths(demo)["genuine"]
    assert _json(client, path)["verdict"]["status"] == "genuine"
    assert _json(client, path.lower())["verdict"]["status"] == "genuine"  # scanners flip case


def test_a_stored_code_with_one_signature_character_changed_has_a_bad_signature(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    serial, kid, signature = _demo_paths(demo)["genuine"].removeprefix("/C/").split(".")
    for position in (0, 40, 90):  # not the last: its spare bits would make it non-canonical
        changed = ALPHABET[(ALPHABET.index(signature[position]) + 1) % 32]
        forged = signature[:position] + changed + signature[position + 1 :]
        verdict = _json(client, f"/C/{serial}.{kid}.{forged}")["verdict"]
        assert (verdict["status"], verdict["reason"]) == ("not_genuine", "bad_signature")


def test_a_code_signed_with_our_key_but_never_stored_is_not_issued(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    with Session(get_engine(app)) as session:
        key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
    never_stored = sign_item_code("QQQQQQQQQQ", "RRRRRRRRRRRRRRRR", key)
    verdict = _json(client, "/C/" + never_stored.text)["verdict"]
    assert (verdict["status"], verdict["reason"]) == ("not_genuine", "not_issued")


def test_a_certificate_keeps_a_few_pages_and_renders_the_rest_each_time(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """Codes revoked one by one, each with its own reason, each need their own page."""
    items = MAX_PAGES_PER_CERTIFICATE + 2
    number, paths = _issue(app, items=items)
    with Session(get_engine(app)) as session:
        for n, path in enumerate(paths):
            revoke_item(session, _serial(path), f"第{n + 1}件标签损坏", actor="test")
        session.commit()
    for n, path in enumerate(paths):
        page = _page(client, path)
        assert f"第{n + 1}件标签损坏" in page and f"<dd>{n + 1} / {items}</dd>" in page
        assert "已撤销" in page
    assert len(_kept(app, number).pages) == MAX_PAGES_PER_CERTIFICATE


def test_the_first_lookup_time_is_shown_on_beijing_s_clock_in_each_language(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    _, (first, _second, _third) = _issue(app)
    _page(client, first)
    answer = client.get(first, headers={"Accept": "application/json"}).get_json()
    shown = format_beijing(datetime.fromisoformat(answer["scans"]["first_at"]))
    assert f"首次查询于北京时间 {shown}" in _page(client, first)
    assert f"first looked up on {shown} Beijing time" in _page(client, first + "?lang=en")
