"""gunicorn.conf.py: a worker freezes what loading the app allocated; the bench keeps that hook."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.server import ROOT, free_port, running

# A WSGI app that tells what the cyclic collector sees in the worker answering.
PROBE = """
import gc
import json


def app(environ, start_response):
    body = json.dumps({"frozen": gc.get_freeze_count()}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
"""


def _worker_state(config: Path, tmp_path: Path, extra_env: dict[str, str]) -> dict[str, int]:
    (tmp_path / "gc_probe.py").write_text(PROBE, encoding="utf-8")
    port = free_port()
    env = dict(os.environ, WEB_CONCURRENCY="1", GUNICORN_ACCESS_LOG="/dev/null", **extra_env)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(config),
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        str(tmp_path),
        "gc_probe:app",
    ]
    url = f"http://127.0.0.1:{port}/"
    with (
        running(command, env, url, tmp_path / "gunicorn.log"),
        urllib.request.urlopen(url) as answer,
    ):
        state: dict[str, int] = json.loads(answer.read())
    return state


@pytest.mark.parametrize(
    "config", ["gunicorn.conf.py", "bench/gunicorn_ready.conf.py"], ids=["project", "bench"]
)
def test_a_worker_has_frozen_its_start_up_objects_before_it_answers(
    config: str, tmp_path: Path
) -> None:
    """Frozen objects are never walked by a full collection (a 250 ms pause under load)."""
    ready = tmp_path / "ready"
    ready.mkdir()
    state = _worker_state(ROOT / config, tmp_path, {"BENCH_READY_DIR": str(ready)})
    # gunicorn's own worker alone holds thousands of objects by then; unfrozen, this is 0
    assert state["frozen"] > 1000
    if config.startswith("bench/"):
        # the bench's own note still comes after the project's hook
        assert [p.name.isdigit() for p in ready.iterdir()] == [True]
