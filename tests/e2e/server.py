"""Start the real service under gunicorn for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]


def traceability_cli(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`traceability ARGS` in its own process; `check=False` for a command meant to fail."""
    done = subprocess.run(
        [sys.executable, "-m", "traceability", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and done.returncode != 0:
        # what the command said goes into the test's failure, not only its exit status
        raise AssertionError(
            f"traceability {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
        )
    return done


def cli_json(env: dict[str, str], *args: str) -> Any:
    """A `traceability … --json` command's answer."""
    return json.loads(traceability_cli(env, *args, "--json").stdout)


def post_json(
    url: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """POST a JSON body; the status and the JSON answer, refusals included."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextmanager
def gunicorn_server(
    database_url: str,
    home: Path,
    *,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[RunningServer]:
    """`traceability init`, then `traceability serve` on a (free) port; stopped on exit."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "TRACEABILITY_HOME": str(home),
            "PUBLIC_BASE_URL": base_url,
            "WEB_CONCURRENCY": "2",
            "RATELIMIT_ENABLED": "false",
            # which requests came and how they were answered, for a failing test's output
            "GUNICORN_ACCESS_LOG": str(home / "access.log"),
        }
    )
    env.update(extra_env or {})
    traceability_cli(env, "init")
    # a file, not a pipe nobody reads: a full pipe would block the server's workers
    home.mkdir(parents=True, exist_ok=True)  # `init` makes none when the secrets come from env
    command = [sys.executable, "-m", "traceability", "serve", "--bind", f"127.0.0.1:{port}"]
    with running(command, env, base_url + "/healthz", home / "gunicorn.log") as process:
        try:
            yield RunningServer(base_url, env, process)
        except BaseException:
            access = Path(env["GUNICORN_ACCESS_LOG"])
            if access.is_file():
                tail = access.read_text("utf-8", errors="replace")[-4000:]
                print("--- access log (tail) ---\n" + tail)
            raise


@contextmanager
def running(
    command: list[str], env: dict[str, str], ready_url: str, log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process (its stderr to `log_path`) once `ready_url` answers 200; stopped on exit.

    On a failure inside, the log's tail goes to the test's captured output.
    """
    log = log_path.open("wb")
    process = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    err = log_path.read_text("utf-8", errors="replace")
                    raise RuntimeError(f"the server did not start: {err[-2000:]}") from None
                time.sleep(0.2)
        yield process
    except BaseException:
        # the server's side of a failing test, in the test's captured output
        print("--- server log (tail) ---\n" + log_path.read_text("utf-8", errors="replace")[-4000:])
        raise
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
