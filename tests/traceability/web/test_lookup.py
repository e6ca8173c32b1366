"""The public lookup tells genuine, revoked and forged apart: page, JSON, verify API, offline."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws
from sqlmodel import Session, select

from traceability import keystore
from traceability.cli import main as cli_main
from traceability.codes import code_url, sign_item_code, signing_key_from_seed
from traceability.db import get_engine
from traceability.issuing.service import IssueRequest, issue_certificate
from traceability.models import Batch, Producer, ProducerKind

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _path(url: str) -> str:
    return "/C/" + url.split("/C/", 1)[1]


def _urls(demo: dict[str, Any]) -> tuple[str, str]:
    valid = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    revoked = next(c["url"] for c in demo["codes"] if c["status"] == "revoked")
    return valid, revoked


def _json(client: FlaskClient, path: str) -> dict[str, Any]:
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code in (200, 400, 404)
    return response.get_json()


def test_genuine_code_page_shows_the_verdict_first_then_the_certificate(
    client: FlaskClient, demo: dict
) -> None:
    valid, _ = _urls(demo)
    page = client.get(_path(valid)).get_data(as_text=True)
    assert page.index('data-verdict="genuine"') < page.index("承诺达标合格证</h2>")
    for text in (
        "真品",
        "黄瓜",
        "50 kg",
        "青禾绿源蔬菜有限公司",
        "139****5678",
        "质量安全控制符合要求",
        "第 1 次查询",
    ):
        assert text in page
    assert "13912345678" not in page


def test_english_switch(client: FlaskClient, demo: dict) -> None:
    valid, _ = _urls(demo)
    page = client.get(_path(valid) + "?lang=en").get_data(as_text=True)
    assert "Genuine" in page and 'lang="en"' in page


def test_the_signature_line_reads_in_the_pages_language(client: FlaskClient, demo: dict) -> None:
    valid, _ = _urls(demo)
    chinese = client.get(_path(valid)).get_data(as_text=True)
    english = client.get(_path(valid) + "?lang=en").get_data(as_text=True)
    said = re.search(r"签名：(青禾绿源蔬菜有限公司 于 (\S+ \S+) 确认签名)</p>", chinese)
    assert said, "the Chinese page shows the note as stored"
    assert (
        f"Signature: confirmed by 青禾绿源蔬菜有限公司 on {said.group(2)} (Beijing time)" in english
    )
    assert "确认签名" not in english and "Signature：" not in english


def test_revoked_reads_revoked_on_page_json_and_verify_api(client: FlaskClient, demo: dict) -> None:
    _, revoked = _urls(demo)
    assert "已撤销" in client.get(_path(revoked)).get_data(as_text=True)
    assert _json(client, _path(revoked))["verdict"]["status"] == "revoked"
    answer = client.post(
        "/api/v1/verify",
        json={"text": revoked.replace("HTTP://127.0.0.1:8000", "http://localhost")},
    )
    assert answer.get_json()["verdict"]["status"] == "revoked"


def test_revoked_reads_revoked_offline(client: FlaskClient, demo: dict, tmp_path: Path) -> None:
    valid, revoked = _urls(demo)
    keys = tmp_path / "jwks.json"
    keys.write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    revocations = tmp_path / "revocations.jws"
    revocations.write_text(client.get("/.well-known/revocations.jws").get_data(as_text=True))
    runner = CliRunner()
    base = ["verify", "--keys", str(keys), "--revocations", str(revocations), "--json"]
    offline_revoked = runner.invoke(cli_main, [*base[:1], revoked, *base[1:]])
    offline_valid = runner.invoke(cli_main, [*base[:1], valid, *base[1:]])
    assert (
        json.loads(offline_revoked.output)["status"] == "revoked" and offline_revoked.exit_code == 1
    )
    assert json.loads(offline_valid.output)["status"] == "genuine" and offline_valid.exit_code == 0


def test_json_answer_is_signed_and_verifies_with_the_published_keys(
    client: FlaskClient, demo: dict
) -> None:
    valid, _ = _urls(demo)
    body = _json(client, _path(valid))
    keyset = jwcrypto_jwk.JWKSet.from_json(
        client.get("/.well-known/jwks.json").get_data(as_text=True)
    )
    token = jwcrypto_jws.JWS()
    token.deserialize(body["jws"])
    kid = json.loads(token.jose_header and json.dumps(token.jose_header))["kid"]
    token.verify(keyset.get_key(kid))
    signed = json.loads(token.payload)
    assert signed["verdict"] == body["verdict"]
    assert signed["certificate"]["number"] == body["certificate"]["number"]


def test_every_single_character_change_is_not_genuine(client: FlaskClient, demo: dict) -> None:
    valid, _ = _urls(demo)
    code = valid.split("/C/", 1)[1]
    for position in range(0, len(code), 3):
        original = code[position]
        replacement = "." if original != "." else "A"
        if original != ".":
            replacement = ALPHABET[(ALPHABET.index(original) + 7) % 32]
        mutated = code[:position] + replacement + code[position + 1 :]
        verdict = _json(client, "/C/" + mutated)["verdict"]["status"]
        assert verdict != "genuine", (position, original, replacement)


def test_a_code_signed_by_a_foreign_key_is_not_genuine(client: FlaskClient, demo: dict) -> None:
    valid, _ = _urls(demo)
    group = valid.split("/C/", 1)[1][:10]
    foreign = sign_item_code(group, "A" * 16, signing_key_from_seed(bytes(range(32))))
    verdict = _json(client, "/C/" + foreign.text)["verdict"]
    assert verdict["status"] in {"unknown_key", "not_genuine"}


def test_a_well_signed_code_that_was_never_issued_is_not_genuine(
    app: Flask, client: FlaskClient, demo: dict
) -> None:
    with app.app_context(), Session(get_engine()) as session:
        key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
    stolen_style = sign_item_code("ABCDEFGHIJ", "K" * 16, key)
    verdict = _json(client, "/C/" + stolen_style.text)["verdict"]
    assert verdict["status"] == "not_genuine" and verdict["reason"] == "not_issued"


def test_repeated_scans_are_counted_and_flagged_when_implausible(
    client: FlaskClient, demo: dict
) -> None:
    valid, _ = _urls(demo)
    for _ in range(21):
        body = _json(client, _path(valid))
    assert body["scans"]["count"] == 21 and body["scans"]["suspicious"] is True
    assert "可能被复制" in client.get(_path(valid)).get_data(as_text=True)


def _issue_now(app: Flask, when: datetime) -> str:
    with app.app_context(), Session(get_engine(), expire_on_commit=False) as session:
        producer = session.exec(
            select(Producer).where(Producer.kind == ProducerKind.ENTERPRISE)
        ).one()
        batch = session.exec(select(Batch).where(Batch.producer_id == producer.id)).first()
        assert batch is not None
        batch.harvest_date = (when - timedelta(days=5)).date()
        session.add(batch)
        key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
        request = IssueRequest(producer_id=producer.id or 0, batch_id=batch.id, basis=["quality_control"],
                               signature_confirmed=True)  # fmt: skip
        issued = issue_certificate(session, request, key, now=when)
        session.commit()
        return code_url("http://localhost", issued.codes[0])


def test_after_rotation_old_codes_still_verify_and_compromise_flags_later_codes(
    app: Flask,
    client: FlaskClient,
    demo: dict,
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    before = _issue_now(app, now - timedelta(days=2))
    after = _issue_now(app, now - timedelta(hours=1))
    with app.app_context(), Session(get_engine()) as session:
        old_kid = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"]).kid
        keystore.rotate(session, app.config["SIGNING_KEY_PASSPHRASE"])
        session.commit()
    fresh = _issue_now(app, now)
    assert fresh.split("/C/")[1].split(".")[1] != old_kid
    for url in (before, after, fresh):
        assert _json(client, _path(url))["verdict"]["status"] == "genuine"
    with app.app_context(), Session(get_engine()) as session:
        from traceability.issuing.revocation import note_key_change

        keystore.mark_compromised(session, old_kid, now - timedelta(days=1))
        note_key_change(session, old_kid, "key_compromised")
        session.commit()
    assert _json(client, _path(before))["verdict"]["status"] == "genuine"
    assert _json(client, _path(after))["verdict"]["status"] == "key_compromised"
    assert _json(client, _path(fresh))["verdict"]["status"] == "genuine"
    keys = tmp_path / "jwks.json"
    keys.write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    revocations = tmp_path / "r.jws"
    revocations.write_text(client.get("/.well-known/revocations.jws").get_data(as_text=True))
    offline = CliRunner().invoke(
        cli_main,
        ["verify", after, "--keys", str(keys), "--revocations", str(revocations), "--json"],
    )
    assert json.loads(offline.output)["status"] == "key_compromised"
    offline_ok = CliRunner().invoke(
        cli_main,
        ["verify", before, "--keys", str(keys), "--revocations", str(revocations), "--json"],
    )
    assert json.loads(offline_ok.output)["status"] == "genuine"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=700))
def test_any_text_to_the_verify_api_never_gives_a_5xx(
    client: FlaskClient, demo: dict, text: str
) -> None:
    json_answer = client.post("/api/v1/verify", json={"text": text})
    plain_answer = client.post(
        "/api/v1/verify", data=text.encode("utf-8"), content_type="text/plain"
    )
    assert json_answer.status_code < 500 and plain_answer.status_code < 500


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=600))
def test_any_lookup_url_never_gives_a_5xx(client: FlaskClient, demo: dict, text: str) -> None:
    from urllib.parse import quote

    for prefix in ("/C/", "/c/"):
        response = client.get(prefix + quote(text, safe=""), headers={"Accept": "application/json"})
        assert response.status_code < 500
    assert client.get("/01/0690123456789X/10/A/21/B?8030=x").status_code < 500
