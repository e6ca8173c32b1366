"""Behind a reverse proxy (`TRUSTED_PROXIES`), limits and scan places follow the client's
address from X-Forwarded-For, on the lookup fast path and in Flask alike; without one,
forwarded headers are ignored so nobody can name their own address."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, request
from sqlmodel import Session, func, select

from traceability import create_app
from traceability.config import SettingError
from traceability.db import get_engine, session_scope
from traceability.demo import load_demo
from traceability.models import ItemCode, ScanPlace

Make = Callable[..., Flask]


@pytest.fixture
def make_app(app_config: dict[str, object]) -> Iterator[Make]:
    made: list[Flask] = []

    def make(**config: object) -> Flask:
        application = create_app({**app_config, **config})
        application.add_url_rule(
            "/_probe",
            "probe",
            lambda: f"{request.scheme} {request.remote_addr} {request.host}",
        )
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["scan_buffer"].close()
        application.extensions["db_engine"].dispose()


def _genuine_path(app: Flask) -> str:
    with app.app_context(), session_scope(get_engine()) as session:
        demo: dict[str, Any] = load_demo(session, app.config)
    url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    return "/C/" + url.split("/C/", 1)[1]


def _scan(app: Flask, path: str, forwarded: str | None, *, via_flask: bool = False) -> int:
    headers = {"Accept": "application/json"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    target = path + "?format=json&via=flask" if via_flask else path
    return app.test_client().get(target, headers=headers).status_code


@pytest.mark.parametrize("via_flask", [False, True], ids=["fast path", "flask"])
def test_behind_one_proxy_each_forwarded_client_has_its_own_public_limit(
    make_app: Make, via_flask: bool
) -> None:
    app = make_app(TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC="2/minute")
    path = _genuine_path(app)
    first = [_scan(app, path, "203.0.113.7", via_flask=via_flask) for _ in range(3)]
    assert first == [200, 200, 429]
    assert _scan(app, path, "198.51.100.9", via_flask=via_flask) == 200


def test_a_client_cannot_escape_the_limit_by_forging_an_earlier_hop(make_app: Make) -> None:
    app = make_app(TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC="2/minute")
    path = _genuine_path(app)
    # the proxy appends the address it saw; what the client wrote itself comes before it
    forged = [_scan(app, path, f"10.0.0.{n}, 203.0.113.7") for n in range(3)]
    assert forged == [200, 200, 429]


def test_without_trusted_proxies_forwarded_headers_are_ignored(make_app: Make) -> None:
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC="2/minute")
    path = _genuine_path(app)
    statuses = [_scan(app, path, f"203.0.113.{n}") for n in range(3)]
    assert statuses == [200, 200, 429]  # one socket address, one bucket
    probe = app.test_client().get("/_probe", headers={"X-Forwarded-For": "203.0.113.1"})
    assert probe.get_data(as_text=True) == "http 127.0.0.1 localhost"


def test_scans_from_two_forwarded_clients_count_as_two_places(make_app: Make) -> None:
    app = make_app(TRUSTED_PROXIES=1)
    path = _genuine_path(app)
    assert _scan(app, path, "203.0.113.7") == 200
    assert _scan(app, path, "198.51.100.9") == 200
    assert _scan(app, path, "203.0.113.7") == 200
    app.extensions["scan_buffer"].flush()
    serial = path[3:].split(".", 1)[0]
    with Session(get_engine(app)) as session:
        item = session.exec(select(ItemCode).where(ItemCode.serial == serial)).one()
        places = session.exec(
            select(func.count()).select_from(ScanPlace).where(ScanPlace.item_code_id == item.id)
        ).one()
    assert (item.scan_count, places) == (3, 2)


def test_the_forwarded_scheme_and_host_reach_flask(make_app: Make) -> None:
    app = make_app(TRUSTED_PROXIES=1)
    probe = app.test_client().get(
        "/_probe",
        headers={
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "zs.nync.example.gov.cn",
        },
    )
    assert probe.get_data(as_text=True) == "https 203.0.113.7 zs.nync.example.gov.cn"


def test_served_over_https_every_cookie_is_secure(make_app: Make) -> None:
    app = make_app(PUBLIC_BASE_URL="https://zs.nync.example.gov.cn")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/?lang=en")
    assert "lang=en" in response.headers["Set-Cookie"]
    assert "Secure" in response.headers["Set-Cookie"]
    plain = make_app().test_client().get("/?lang=en")
    assert "Secure" not in plain.headers["Set-Cookie"]


def test_a_negative_proxy_count_is_refused(app_config: dict[str, object]) -> None:
    with pytest.raises(SettingError, match="TRUSTED_PROXIES"):
        create_app({**app_config, "TRUSTED_PROXIES": -1})
