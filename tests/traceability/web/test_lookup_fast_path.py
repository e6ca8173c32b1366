"""Anonymous scans of the QR URL are answered in front of Flask (`lookup_fast_path`), with
the same status, headers and bytes Flask's view gives; everything else still goes to Flask."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.traceability.smallholder import issue_as_smallholder
from tests.traceability.web.code_paths import code_paths
from traceability import create_app
from traceability.codes import code_url, gs1_digital_link_url, verify_jws
from traceability.db import get_engine


@pytest.fixture
def flask_saw(app: Flask) -> list[str]:
    """Paths of the requests Flask's own request cycle handled (the fast path skips it)."""
    seen: list[str] = []
    app.before_request(lambda: seen.append(request.full_path.rstrip("?")))
    return seen


def _get(client: FlaskClient, path: str, accept: str, language: str | None) -> TestResponse:
    if language is None:
        client.delete_cookie("lang")
    else:
        client.set_cookie("lang", language)
    return client.get(path, headers={"Accept": accept})


def _comparable(response: TestResponse) -> tuple[int, dict[str, str], Any]:
    """Status, headers and body, without what differs from one scan to the next."""
    headers = {k: v for k, v in response.headers.items() if k not in {"Content-Length"}}
    if response.mimetype == "application/json":
        body = response.get_json()
        body.pop("jws")
        body.get("scans", {}).pop("count", None)
        return response.status_code, headers, body
    page = response.get_data(as_text=True)
    page = re.sub(r"第 \d+ 次查询|Lookup no\. \d+", "<n>", page)
    return response.status_code, headers, page


@pytest.mark.parametrize("status", ["genuine", "revoked", "malformed", "altered"])
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
@pytest.mark.parametrize("language", [None, "en"])
def test_the_fast_path_answers_exactly_as_flask_does(
    app: Flask,
    client: FlaskClient,
    demo: dict[str, Any],
    flask_saw: list[str],
    status: str,
    accept: str,
    language: str | None,
) -> None:
    path = code_paths(demo)[status]
    app.config["LOOKUP_FAST_PATH"] = False
    through_flask = _get(client, path, accept, language)
    assert flask_saw == [path]
    app.config["LOOKUP_FAST_PATH"] = True
    fast = [_get(client, path, accept, language) for _ in range(2)]
    assert flask_saw == [path]  # neither went through Flask's request cycle
    assert through_flask.status_code == (400 if status == "malformed" else 200)
    for answer in fast:
        assert _comparable(answer) == _comparable(through_flask)
    if accept == "text/html":
        expected_lang = 'lang="en"' if language == "en" else 'lang="zh-CN"'
        assert expected_lang in fast[1].get_data(as_text=True)
    else:
        jwks = client.get("/.well-known/jwks.json").get_json()
        body = fast[1].get_json()
        assert verify_jws(body.pop("jws"), jwks) == body
        assert body["verdict"]["status"] == {"altered": "not_genuine"}.get(status, status)


def test_each_scan_through_the_fast_path_counts_once(
    app: Flask, client: FlaskClient, demo: dict[str, Any], flask_saw: list[str]
) -> None:
    issued = issue_as_smallholder(app, items=2)
    first, second = (
        "/C/" + code_url("http://localhost", c).split("/C/", 1)[1] for c in issued.codes
    )
    pages = [_get(client, p, "text/html", None).get_data(as_text=True) for p in (first, first)]
    assert "<dd>1 / 2</dd>" in pages[0] and "第 1 次查询" in pages[0]
    assert "<dd>1 / 2</dd>" in pages[1] and "第 2 次查询" in pages[1]
    answers = [_get(client, second, "application/json", None).get_json() for _ in range(3)]
    assert [a["scans"]["count"] for a in answers] == [1, 2, 3]
    assert [a["item"] for a in answers] == [{"seq": 2, "of": 2}] * 3
    assert flask_saw == []  # the first page of a new certificate was rendered here too


@pytest.mark.parametrize(
    ("method", "path_suffix", "cookies"),
    [
        ("GET", "?lang=en", {}),  # sets the language cookie
        ("GET", "?format=json&x=1", {}),
        ("GET", "", {"session": "abc"}),  # maybe signed in: Flask's hooks run
        ("HEAD", "", {}),
        ("GET", "/label.png", {}),
    ],
)
def test_other_requests_go_through_flask(
    client: FlaskClient,
    demo: dict[str, Any],
    flask_saw: list[str],
    method: str,
    path_suffix: str,
    cookies: dict[str, str],
) -> None:
    for name, value in cookies.items():
        client.set_cookie(name, value)
    path = code_paths(demo)["genuine"] + path_suffix
    response = client.open(path, method=method)
    assert response.status_code == 200
    assert flask_saw == [path]
    if path_suffix == "?lang=en":
        assert "lang=en" in response.headers["Set-Cookie"]


def test_the_digital_link_url_goes_through_flask(
    app: Flask, client: FlaskClient, demo: dict[str, Any], flask_saw: list[str]
) -> None:
    issued = issue_as_smallholder(app)
    link = gs1_digital_link_url("http://localhost", "06901234567892", issued.codes[0])
    path = "/" + link.split("/", 3)[3]
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["verdict"]["status"] == "genuine"
    assert flask_saw == [path]


@pytest.fixture
def limited_app(app_config: dict[str, object]) -> Iterator[Flask]:
    application = create_app(
        {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_PUBLIC": "3/minute"}
    )
    yield application
    application.extensions["scan_buffer"].close()
    application.extensions["db_engine"].dispose()


def test_one_public_limit_covers_both_paths_and_says_why_in_both_languages(
    limited_app: Flask, demo: dict[str, Any]
) -> None:
    client = limited_app.test_client()
    path = code_paths(demo)["genuine"]
    answers = [
        client.get(path, headers={"Accept": "application/json"}),  # fast path
        client.get(path + "?format=json&via=flask"),  # Flask
        client.get(path, headers={"Accept": "text/html"}),  # fast path
        client.get(path, headers={"Accept": "application/json"}),
        client.get(path + "?lang=en", headers={"Accept": "text/html"}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[3].get_json()
    assert refused["message_zh"] == "请求过于频繁，请稍后再试。"
    assert refused["message_en"] == "Too many requests; please try again shortly."
    assert 0 < int(answers[3].headers["Retry-After"]) <= 60
    assert "Too many requests" in answers[4].get_data(as_text=True)
    other_client = limited_app.test_client()
    fresh = other_client.get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert fresh.status_code == 200  # the limit is per client address


def test_the_fast_path_can_be_switched_off(
    app: Flask, client: FlaskClient, demo: dict[str, Any], flask_saw: list[str]
) -> None:
    app.config["LOOKUP_FAST_PATH"] = False
    path = code_paths(demo)["genuine"]
    assert client.get(path, headers={"Accept": "application/json"}).status_code == 200
    assert flask_saw == [path]


def test_a_failure_in_the_fast_path_is_answered_by_flask_error_handling(
    app: Flask,
    client: FlaskClient,
    demo: dict[str, Any],
    flask_saw: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.config["PUBLIC_BASE_URL"] = 20261129  # a broken configuration: no answer can be made
    path = code_paths(demo)["genuine"]
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert (
        response.get_json()["message_en"] == "The service hit an internal error; please try again."
    )
    assert flask_saw == [path]
    assert "lookup fast path failed" in caplog.text


def test_a_kept_certificate_is_answered_without_opening_a_session(
    app: Flask, client: FlaskClient, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys, facts and the response key are kept per worker and the code's row has its own
    reader: a warm scan needs no Session; a revocation's first scan opens one again."""
    from traceability.issuing.revocation import revoke_item
    from traceability.web import lookup_fast_path

    app.config["LOOKUP_FRESHNESS_SECONDS"] = 3600  # no revision check during the test
    path = code_paths(demo)["genuine"]
    assert _get(client, path, "application/json", None).status_code == 200  # warms the caches
    opened: list[object] = []
    real_session = lookup_fast_path.Session

    def counting_session(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        return real_session(*args, **kwargs)

    monkeypatch.setattr(lookup_fast_path, "Session", counting_session)
    answers = [_get(client, path, "application/json", None).get_json() for _ in range(3)]
    assert [a["verdict"]["status"] for a in answers] == ["genuine"] * 3
    assert opened == []

    serial = path[3:].split(".", 1)[0]
    with real_session(get_engine(app)) as session:
        revoke_item(session, serial, "标签破损", actor="test")
        session.commit()  # in this process: the kept facts are dropped at once
    answer = _get(client, path, "application/json", None).get_json()
    assert answer["verdict"]["status"] == "revoked"
    assert len(opened) == 1
