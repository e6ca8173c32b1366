"""A shopper reading in English is told what the producer promised, in English too.

The certificate keeps the Chinese it was issued with (what the producer signed); the
English page adds its template's translation and names the basis in English.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from traceability.db import get_engine, session_scope
from traceability.issuing.templates import english_wording, template
from traceability.models import Certificate


def _valid(app: Flask, demo: dict[str, Any]) -> tuple[str, Certificate]:
    found = next(c for c in demo["codes"] if c["status"] == "valid")
    with app.app_context(), session_scope(get_engine()) as session:
        cert = session.exec(select(Certificate).where(Certificate.number == found["number"])).one()
        session.expunge(cert)
    return "/C/" + found["url"].split("/C/", 1)[1], cert


def test_the_english_page_adds_the_promise_and_names_the_basis_in_english(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    path, cert = _valid(app, demo)
    wording = template(cert.template_version)
    english = client.get(path + "?lang=en").get_data(as_text=True)
    assert cert.promise_text in english  # what was signed stays, as printed
    assert wording.promise_en in english
    for text in cert.basis:
        option = wording.basis_option(text)
        assert option is not None and f"☑ {option.en}" in english
        assert f"☑ {text}" not in english
    chinese = app.test_client().get(path).get_data(as_text=True)  # no language cookie
    assert wording.promise_en not in chinese and f"☑ {cert.basis[0]}" in chinese


def test_only_a_templates_own_wording_is_translated() -> None:
    known = template("2025-style1")
    said = english_wording("2025-style1", known.promise, ["自行检测合格", "本地说法"])
    assert said.promise == known.promise_en
    assert said.basis == ["Passed own test", "本地说法"]  # unknown basis text kept as stored
    assert english_wording("2025-style1", "另一段承诺", []).promise is None
    assert english_wording("no-such-version", known.promise, ["x"]).basis == ["x"]
