"""Load from a separate process: Debian's wrk, driven by lookup.lua over a list of URLs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("lookup.lua")
MARK = "BENCH-RESULT "


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    requests: int
    seconds: float
    errors: int  # socket errors and non-2xx/3xx answers
    p50_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        """Successful requests per second: an error page is not a lookup."""
        return (self.requests - self.errors) / self.seconds


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    return path


def run_wrk(
    base_url: str,
    paths_file: Path,
    *,
    seconds: int,
    connections: int,
    accept: str = "application/json",
    threads: int | None = None,
) -> Load:
    """`wrk --latency` for `seconds` at `connections` connections; parse lookup.lua's output."""
    threads = threads or min(os.cpu_count() or 1, connections)
    env = {**os.environ, "WRK_PATHS": str(paths_file), "WRK_ACCEPT": accept}
    completed = subprocess.run(
        [
            wrk_path(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(SCRIPT),
            base_url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    line = next((x for x in completed.stdout.splitlines() if x.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(line[len(MARK) :])
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Load(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        errors=int(errors),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
