"""No endpoint answers junk with a 500: every route, as anonymous and as signed-in roles.

Query strings of the wrong type, impossible dates, NUL characters, bodies that are not
JSON objects, fields of the wrong type: each must be a 4xx a person can act on (or a
page that ignores what it does not use), never an internal error. The routes come from
the app's own URL map, so a new endpoint is covered the day it is added.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from traceability.auth.tokens import create_token
from traceability.db import get_engine, session_scope
from traceability.kiosk.terminals import enrol, register_terminal

DEMO_PASSWORD = "qinghe-demo-2026"
HUGE = 10**23  # a number typed or changed in a URL: past every database's integers
INT4 = 2**31  # past PostgreSQL's `integer`, within SQLite's
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
QUERIES = [
    "?limit=abc&page=0&before=x",
    "?limit=-1&offset=99999999999999999999",
    "?from=zz&to=2026-02-30&format=exe",
    # real dates at the ends of the calendar: a day's bounds in Beijing time overflow
    "?from=0001-01-01&to=9999-12-31",
    "?q=%00%ff&producer_id=abc&batch_id=-5",
    "?lang=xx&status=%E2%80%AE",
    # "²" passes str.isdigit() but not int(): every number parsed from text must refuse it
    "?limit=%C2%B2&before=%C2%B2&township=%C2%B2&page=%C2%B2&producer_id=%C2%B2",
    # the sampling plan's week and size; the trend's bucket; a week at the calendar's end
    "?week=2026-W49&per_township=%C2%B2&bucket=fortnight&view=x",
    "?week=9999-12-31&per_township=99999999999999999999",
    # record numbers past what the databases store (SQLite: 2**63 - 1; PostgreSQL int4)
    f"?producer_id={HUGE}&batch_id={HUGE}&township={HUGE}&market_id={HUGE}&before={HUGE}",
    f"?retest_of_case={HUGE}&product_id={HUGE}&case={HUGE}&after={HUGE}",
    f"?producer_id={INT4}&batch_id={INT4}&township={INT4}&market_id={INT4}&before={INT4}",
]
JSON_BODIES: list[Any] = [
    "x",
    [1, 2],
    {"producer_id": "abc", "batch_id": [], "items": "x", "records": "x", "codes": 5, "code": {}},
    {
        "producer_id": 10**30,
        "items": 10**12,
        "quantity": "1e999",
        "tested_at": "2026-02-30T99:00",
        "used_on": "x",
        "records": [None, 1, {"uuid": 5, "code": None}],
        "basis": "x",
        "pin": None,
    },
    {"name": "a\x00b", "text": "\x00"},
    {"days": "²", "producer_id": "²", "batch_id": "²", "pre_harvest_days": "²", "identifier": "²"},
    *(
        {
            "producer_id": n,
            "batch_id": n,
            "product_id": n,
            "market_id": n,
            "retest_of_case": n,
            "township_ids": [n],
            "tests": [n],
            "reason": "x",
        }
        for n in (HUGE, INT4)
    ),
]
FORMS = [
    {"producer_id": "abc", "items": "x", "quantity": "NaN", "tested_at": "x", "method": "zz"},
    {"inhibition_rate": "inf", "used_on": "2026-02-30", "role": "god", "name": "x\x00y"},
    {"days": "²", "producer_id": "²", "township_ids": "²,1", "identifier": "²", "interval": "²"},
    *(
        {
            "producer_id": str(n),
            "batch_id": str(n),
            "market_id": str(n),
            "township_ids": str(n),
            "retest_of_case": str(n),
            "product_id": str(n),
        }
        for n in (HUGE, INT4)
    ),
]


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """CSRF off, so junk reaches the validation behind it (CSRF has its own tests)."""
    return {**app_config, "WTF_CSRF_ENABLED": False}


def concrete(rule: Rule, number: str = "1") -> str:
    """The rule's path with its arguments filled in: record numbers are `number`."""
    path = rule.rule
    for name in rule.arguments:
        value = {"code": "ABC", "path": "x", "kind": "pesticide"}.get(name, number)
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
    return path


def routes(app: Flask, methods: set[str]) -> list[tuple[str, str]]:
    """Every route once with record number 1, and again with numbers no database holds."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) & methods):
            paths = {concrete(rule, number) for number in ("1", str(HUGE), str(INT4))}
            found += [(method, path) for path in sorted(paths)]
    return found


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"demo account {username} signs in"
    return client


def test_no_page_or_api_read_fails_on_junk_query_strings(app: Flask, demo: dict[str, Any]) -> None:
    failures = []
    for who in (None, "admin", "chengguan", "lvyuan"):
        client = signed_in(app, who) if who else app.test_client()
        for _method, path in routes(app, {"GET"}):
            for query in QUERIES:
                status = client.get(path + query).status_code
                if status >= 500:
                    failures.append(f"{who or 'anonymous'} GET {path}{query} -> {status}")
    assert failures == []


def test_no_write_fails_on_junk_bodies(app: Flask, demo: dict[str, Any]) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        _, token = create_token(session, name="junk", role="county_admin")
        registered = register_terminal(session, name="junk kiosk", township_id=None)
        _, credential = enrol(session, registered.enrolment_code)
    client = signed_in(app, "admin")
    bearer = {"Authorization": f"Bearer {token}"}
    device = {"Authorization": f"Bearer {credential}"}  # the kiosk agent's calls
    failures = []
    for method, path in routes(app, WRITES):
        calls: list[dict[str, Any]] = [{"json": body, "headers": bearer} for body in JSON_BODIES]
        if path.startswith("/api/v1/kiosk/"):
            calls += [{"json": body, "headers": device} for body in JSON_BODIES]
        calls += [{"json": body} for body in JSON_BODIES[:2]]
        calls += [{"data": form} for form in FORMS]
        calls.append({"data": b"\xff{not json", "content_type": "application/json"})
        for call in calls:
            status = client.open(path, method=method, **call).status_code
            if status >= 500:
                failures.append(f"{method} {path} {str(call)[:90]} -> {status}")
    assert failures == []
