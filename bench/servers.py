"""gunicorn on a free loopback port with the project's gunicorn.conf.py; its workers' memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
SERVICE_APP = "wsgi:app"
HELLO_APP = "bench.hello_app:app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def worker_peak_rss_mb(self) -> float:
        """The largest VmHWM (peak resident set) among the workers, in MB."""
        return max(peak_rss_mb(pid) for pid in self.worker_pids())


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Until the server answers at all: /healthz says 503 while a migration is pending, and
    other engineers add migrations while a long benchmark runs."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                err = log.read().decode(errors="replace")
                raise RuntimeError(f"gunicorn did not start: {err[-2000:]}") from None
            time.sleep(0.1)


@contextmanager
def gunicorn(app: str, env: dict[str, str], port: int, ready_path: str) -> Iterator[Server]:
    """Serve `app` exactly as `traceability serve` does (same config file, same settings)."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]
    env = {**env, "GUNICORN_ACCESS_LOG": "/dev/null", "GUNICORN_LOG_LEVEL": "warning"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            yield _ready(process, port, ready_path, log, _expected_workers(env))
        finally:
            # SIGQUIT is gunicorn's quick shutdown; SIGTERM would wait out keep-alive connections
            os.killpg(process.pid, signal.SIGQUIT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _ready(
    process: subprocess.Popen[bytes], port: int, ready_path: str, log: IO[bytes], workers: int
) -> Server:
    """The server once it answers and every worker has booted (else we measure imports)."""
    server = Server(f"http://127.0.0.1:{port}", process)
    _wait_ready(server.base_url + ready_path, process, log)
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) < workers and time.monotonic() < deadline:
        time.sleep(0.1)
    return server


def _expected_workers(env: dict[str, str]) -> int:
    default = min(4, (os.cpu_count() or 1) * 2)
    return int(env.get("WEB_CONCURRENCY", str(default)))
