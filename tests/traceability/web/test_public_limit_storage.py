"""The public lookup limit outlives its shared storage: with Redis unreachable, scans are
counted in the worker's memory (never a 500), and the storage is not tried on every scan."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.e2e.server import free_port
from traceability.extensions import limiter


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_PUBLIC": "2/minute",
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}",  # nothing listens there
    }


@pytest.mark.parametrize("backend", ["sqlite"])
def test_scans_are_limited_in_memory_while_redis_is_unreachable(
    app: Flask,
    client: FlaskClient,
    demo: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    shared = limiter.limiter
    tries: list[object] = []
    real_hit = shared.hit

    def counting_hit(*args: Any, **kwargs: Any) -> bool:
        tries.append(args)
        return real_hit(*args, **kwargs)

    monkeypatch.setattr(shared, "hit", counting_hit)
    url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    path = "/C/" + url.split("/C/", 1)[1]
    caplog.set_level(logging.WARNING, logger="traceability.web.lookup_views")

    answers = [client.get(path, headers={"Accept": "application/json"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].get_json()["message_zh"]  # the 429 says why, in Chinese first
    assert int(answers[2].headers["Retry-After"]) > 0
    assert len(tries) == 1  # one failed try; the next scans went straight to memory
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert "127.0.0.1" in warnings[0].getMessage()
