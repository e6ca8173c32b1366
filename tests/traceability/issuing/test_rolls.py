"""Pre-printed rolls (印刷激活): codes exist before the certificate and are unusable until bound."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from traceability.cli import main as cli_main
from traceability.codes import Verifier
from traceability.db import get_engine
from traceability.models import Certificate


def _path(url: str) -> str:
    return "/C/" + url.split("/C/", 1)[1]


def _status(client: FlaskClient, url: str) -> str:
    return str(
        client.get(_path(url), headers={"Accept": "application/json"}).get_json()["verdict"][
            "status"
        ]
    )


def _offline(client: FlaskClient) -> Verifier:
    return Verifier(
        client.get("/.well-known/jwks.json").get_json(),
        client.get("/.well-known/revocations.jws").get_data(as_text=True),
    )


def _roll(client: FlaskClient, headers: dict[str, str], count: int = 5) -> dict[str, Any]:
    response = client.post("/api/v1/rolls", json={"count": count}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _issue(client: FlaskClient, headers: dict[str, str], roll_codes: list[str]) -> Any:
    body = {"producer_id": 1, "batch_id": 1, "basis": ["quality_control"], "signature_confirmed": True,
            "roll_codes": roll_codes}  # fmt: skip
    return client.post("/api/v1/certificates", json=body, headers=headers)


def test_roll_codes_read_not_activated_online_and_offline(
    client: FlaskClient, demo: dict, make_token: Callable[..., dict[str, str]]
) -> None:
    roll = _roll(client, make_token())
    url = roll["items"][0]["url"]
    assert _status(client, url) == "not_activated"
    assert _offline(client).verify(url).status == "not_activated"
    assert client.get(_path(url) + "/label.png").status_code == 404


def test_issuing_binds_scanned_roll_codes_and_only_those(
    client: FlaskClient, demo: dict, make_token: Callable[..., dict[str, str]]
) -> None:
    headers = make_token()
    roll = _roll(client, headers)
    chosen = [roll["items"][0]["url"], roll["items"][1]["url"]]
    issued = _issue(client, headers, chosen)
    assert issued.status_code == 201, issued.get_json()
    body = issued.get_json()
    assert [i["serial"] for i in body["items"]] == [
        roll["items"][0]["serial"],
        roll["items"][1]["serial"],
    ]
    verifier = _offline(client)
    for url in chosen:
        assert _status(client, url) == "genuine"
        assert verifier.verify(url).status == "genuine"
    unused = roll["items"][2]["url"]
    assert _status(client, unused) == "not_activated"
    assert verifier.verify(unused).status == "not_activated"


def test_a_roll_code_cannot_be_activated_twice(
    app: Flask, client: FlaskClient, demo: dict, make_token: Callable[..., dict[str, str]]
) -> None:
    headers = make_token()
    roll = _roll(client, headers)
    assert _issue(client, headers, [roll["items"][0]["url"]]).status_code == 201
    with app.app_context(), Session(get_engine()) as session:
        before = session.exec(select(func.count()).select_from(Certificate)).one()
    again = _issue(client, headers, [roll["items"][1]["url"], roll["items"][0]["url"]])
    assert again.status_code == 409 and again.get_json()["message_zh"]
    with app.app_context(), Session(get_engine()) as session:
        after = session.exec(select(func.count()).select_from(Certificate)).one()
    assert after == before
    assert (
        _status(client, roll["items"][1]["url"]) == "not_activated"
    )  # rolled back with the refusal


def test_revoking_a_roll_certificate_reads_revoked_offline(
    client: FlaskClient, demo: dict, make_token: Callable[..., dict[str, str]]
) -> None:
    headers = make_token()
    roll = _roll(client, headers)
    number = _issue(client, headers, [roll["items"][0]["url"]]).get_json()["certificate"]["number"]
    client.post(
        f"/api/v1/certificates/{number}/revoke", json={"reason": "复检不合格"}, headers=headers
    )
    assert _offline(client).verify(roll["items"][0]["url"]).status == "revoked"
    assert _status(client, roll["items"][0]["url"]) == "revoked"


def test_rolls_create_command_writes_codes_and_a_pdf_sheet(
    app: Flask, demo: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("TRACEABILITY_HOME", app.config["TRACEABILITY_HOME"])
    out, pdf = tmp_path / "roll.csv", tmp_path / "roll.pdf"
    result = CliRunner().invoke(
        cli_main,
        ["rolls", "create", "--count", "12", "--output", str(out), "--pdf", str(pdf), "--json"],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 12 and len({r["serial"] for r in rows}) == 12
    assert pdf.read_bytes().startswith(b"%PDF")
    assert json.loads(result.output[result.output.index("{") :])["count"] == 12
