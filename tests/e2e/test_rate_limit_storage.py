"""With `RATELIMIT_STORAGE_URI=redis://…` (a real redis-server here) the public limit is
one count for every worker and host; when Redis goes away, lookups are still answered."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e.server import free_port, gunicorn_server, traceability_cli

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
LIMIT = 4


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A throw-away redis-server on a free loopback port, nothing written to disk."""
    port = free_port()
    process = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("redis-server did not start")
        time.sleep(0.1)
    process.port = port  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=20)


def _status(url: str, accept: str = "application/json") -> int:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_two_hosts_share_one_public_limit_and_outlive_a_redis_outage(
    tmp_path: Path, empty_database_url: str, redis_server: subprocess.Popen[bytes]
) -> None:
    shared = {
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_PUBLIC": f"{LIMIT}/minute",
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_server.port}",  # type: ignore[attr-defined]
        # two hosts of one deployment: the same secrets, so either can sign answers
        "SECRET_KEY": "test-secret-key-shared-by-both-hosts",
        "SIGNING_KEY_PASSPHRASE": "test-passphrase-shared-by-both-hosts",
        "PII_SECRET": "test-pii-secret-shared-by-both-hosts",
    }
    with ExitStack() as stack:
        first = stack.enter_context(
            gunicorn_server(empty_database_url, tmp_path / "host-a", extra_env=shared)
        )
        demo = json.loads(traceability_cli(first.env, "demo", "--json").stdout)
        second = stack.enter_context(
            gunicorn_server(empty_database_url, tmp_path / "host-b", extra_env=shared)
        )
        url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
        path = "/C/" + url.split("/C/", 1)[1]
        hosts = [first.base_url, second.base_url]

        # each host (two workers each) answers half: one count, so the limit holds overall
        answers = [_status(hosts[n % 2] + path) for n in range(LIMIT + 2)]
        assert answers == [200] * LIMIT + [429, 429]
        assert _status(second.base_url + path, accept="text/html") == 429

        redis_server.kill()
        redis_server.wait(timeout=20)
        # no shared count now: each worker counts in memory, and nothing answers 500
        assert _status(first.base_url + path) == 200
        assert _status(second.base_url + path, accept="text/html") == 200
        assert _status(first.base_url + path + "/label.png", accept="image/png") == 200
