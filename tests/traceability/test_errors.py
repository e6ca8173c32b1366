"""Errors answer in the form the caller asked for: JSON or a page."""

from __future__ import annotations

import pytest
from flask import Flask, request

from traceability import create_app
from traceability.errors import wants_json

ACCEPT_HEADERS = [
    "application/json",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "text/html;q=0.1, application/json",
    "*/*",
    "",
    "application/json, text/html",
    "text/html, application/json",
    "text/html;q=0, application/json",
    "text/html;level=1, application/json",
    "text/*;q=0.5, application/json",
    "application/json;q=0",
    "application/json,",
    " text/html , application/json;q=0.9",
]


def _by_full_parsing() -> bool:
    """The rule without shortcuts: JSON only when preferred strictly over HTML."""
    accepted = request.accept_mimetypes
    best = accepted.best_match(["application/json", "text/html"])
    return best == "application/json" and accepted[best] > accepted["text/html"]


@pytest.fixture(scope="module")
def app() -> Flask:
    return Flask(__name__)


@pytest.mark.parametrize("accept", ACCEPT_HEADERS)
def test_wants_json_agrees_with_full_accept_parsing(app: Flask, accept: str) -> None:
    headers = {"Accept": accept} if accept else {}
    with app.test_request_context("/C/ANYCODE", headers=headers):
        assert wants_json() is _by_full_parsing()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", True),
        ("text/html;q=0.1, application/json", True),
        ("text/html", False),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("*/*", False),
        ("", False),
        ("application/json, text/html", False),  # a tie goes to the page
    ],
)
def test_a_public_page_answers_json_only_when_json_is_preferred(
    app: Flask, accept: str, expected: bool
) -> None:
    headers = {"Accept": accept} if accept else {}
    with app.test_request_context("/C/ANYCODE", headers=headers):
        assert wants_json() is expected


@pytest.mark.parametrize("path", ["/api/v1/verify", "/.well-known/jwks.json"])
def test_api_and_well_known_paths_always_answer_json(app: Flask, path: str) -> None:
    with app.test_request_context(path, headers={"Accept": "text/html"}):
        assert wants_json() is True


def test_an_http_error_keeps_its_own_headers(app_config: dict[str, object]) -> None:
    """A 405 still says what is allowed (and a 429 when to retry) under our bilingual body."""
    service = create_app(app_config)
    response = service.test_client().post("/healthz", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}
    assert response.get_json()["message_zh"] == "不支持该请求方法。"
    service.extensions["db_engine"].dispose()


def test_a_too_large_request_names_the_limit_as_set_not_rounded(
    app_config: dict[str, object],
) -> None:
    """11.5 MB reads "11.5 MB": rounded to whole megabytes it said "12 MB", more than allowed."""
    limit = 11 * 1024 * 1024 + 512 * 1024
    service = create_app({**app_config, "MAX_CONTENT_LENGTH": limit})
    response = service.test_client().post(
        "/api/v1/certificates",
        data=b"x" * (limit + 1),
        content_type="application/x-www-form-urlencoded",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    body = response.get_json()
    assert "11.5 MB" in body["message_zh"] and "11.5 MB" in body["message_en"]
    service.extensions["db_engine"].dispose()
