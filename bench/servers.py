"""gunicorn on a free loopback port with the project's gunicorn.conf.py; its workers' memory."""

from __future__ import annotations

import os
import shutil
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
# gunicorn.conf.py plus a file per worker once it has loaded the app (see the file)
READY_CONFIG = ROOT / "bench" / "gunicorn_ready.conf.py"


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
        str(READY_CONFIG),
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]
    ready_dir = tempfile.mkdtemp(prefix="gunicorn-ready-")
    env = {
        **env,
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "GUNICORN_LOG_LEVEL": "warning",
        "BENCH_READY_DIR": ready_dir,
    }
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
            yield _ready(process, port, ready_path, log, _expected_workers(env), Path(ready_dir))
        finally:
            shutil.rmtree(ready_dir, ignore_errors=True)
            # SIGQUIT is gunicorn's quick shutdown; SIGTERM would wait out keep-alive connections
            os.killpg(process.pid, signal.SIGQUIT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _ready(
    process: subprocess.Popen[bytes],
    port: int,
    ready_path: str,
    log: IO[bytes],
    workers: int,
    ready_dir: Path,
) -> Server:
    """The server once every worker has loaded the app and it answers (else we measure imports)."""
    server = Server(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 120
    while len(_booted(server, ready_dir)) < workers:
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            err = log.read().decode(errors="replace")
            raise RuntimeError(f"gunicorn workers did not boot: {err[-2000:]}")
        time.sleep(0.1)
    _wait_ready(server.base_url + ready_path, process, log)
    return server


def _booted(server: Server, ready_dir: Path) -> set[int]:
    """Workers alive now that have loaded the app (a restarted worker writes a new note)."""
    noted = {int(path.name) for path in ready_dir.iterdir() if path.name.isdigit()}
    return noted & set(server.worker_pids())


def _expected_workers(env: dict[str, str]) -> int:
    default = min(4, (os.cpu_count() or 1) * 2)
    return int(env.get("WEB_CONCURRENCY", str(default)))
