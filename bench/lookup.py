"""Benchmarks 1, 2 and 6a: the public QR lookup under gunicorn + wrk, against hello-world.

The lookup is the real workload: every hit reads its code's row and scans, checks the
code against its stored signature, answers from its certificate's facts (cached per worker,
see `traceability.lookup.snapshots`), counts a scan and signs the JSON answer.
"""

from __future__ import annotations

import json
import random
import urllib.request
from pathlib import Path

from bench.databases import BenchDatabase, add_filler_codes, create_database, issue_codes
from bench.progress import say
from bench.results import Result, Target
from bench.servers import HELLO_APP, SERVICE_APP, Server, free_port, gunicorn
from bench.sizes import Size
from bench.wrk import Load, run_wrk

JSON = "application/json"
HTML = "text/html"


def _load(server: Server, paths_file: Path, size: Size, accept: str) -> Load:
    run_wrk(
        server.base_url,
        paths_file,
        seconds=size.warmup_seconds,
        connections=size.connections,
        accept=accept,
    )
    return run_wrk(
        server.base_url,
        paths_file,
        seconds=size.wrk_seconds,
        connections=size.connections,
        accept=accept,
    )


def _check_genuine(server: Server, path: str) -> None:
    """Benchmarking error pages would be worthless: one code must read genuine first."""
    request = urllib.request.Request(server.base_url + path, headers={"Accept": JSON})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    status = body["verdict"]["status"]
    if status != "genuine":
        raise RuntimeError(f"lookup of an issued code answered {status!r}, not 'genuine'")


def _paths_file(paths: list[str], count: int, workdir: Path) -> Path:
    chosen = random.Random(10).sample(paths, min(count, len(paths)))
    target = workdir / "lookup-paths.txt"
    target.write_text("\n".join(chosen) + "\n", encoding="ascii")
    return target


def _env(db: BenchDatabase, port: int, size: Size) -> dict[str, str]:
    """The server environment; hello-world and the service get the same gunicorn settings."""
    env = db.env(f"http://127.0.0.1:{port}")
    if size.workers:
        env["WEB_CONCURRENCY"] = str(size.workers)
    return env


def _errors_note(*loads: Load) -> str:
    errors = sum(load.errors for load in loads)
    total = sum(load.requests for load in loads)
    return f"{errors:,} of {total:,} requests failed (not counted)" if errors else ""


def run_lookup(
    backend: str, size: Size, workdir: Path, *, lookup: bool = True, scale: bool = True
) -> list[Result]:
    """Hello-world, then JSON and HTML lookups (lookup); then JSON again at scale (scale)."""
    say(f"{backend}: lookup database with {size.real_codes:,} issued codes")
    db = create_database(backend, workdir, "lookup")
    try:
        paths = issue_codes(db, size.real_codes)
        paths_file = _paths_file(paths, size.distinct_urls, workdir)
        return _measure(db, size, paths_file, lookup=lookup, scale=scale)
    finally:
        db.drop()


def _measure(
    db: BenchDatabase, size: Size, paths_file: Path, *, lookup: bool, scale: bool
) -> list[Result]:
    backend = db.backend
    results: list[Result] = []
    first_path = paths_file.read_text().splitlines()[0]
    hello: Load | None = None
    hello_rss = 0.0
    if lookup:
        say(f"{backend}: hello-world baseline")
        port = free_port()
        with gunicorn(HELLO_APP, _env(db, port, size), port, "/") as server:
            hello = _load(server, paths_file, size, JSON)
            hello_rss = server.worker_peak_rss_mb()
    port = free_port()
    with gunicorn(SERVICE_APP, _env(db, port, size), port, "/healthz") as server:
        _check_genuine(server, first_path)
        say(f"{backend}: JSON lookup")
        small = _load(server, paths_file, size, JSON)
        html: Load | None = None
        if lookup:
            say(f"{backend}: HTML lookup")
            html = _load(server, paths_file, size, HTML)
        service_rss = server.worker_peak_rss_mb()
        if lookup and hello is not None and html is not None:
            results += _lookup_results(backend, hello, small, html)
            results.append(
                Result(
                    "memory",
                    backend,
                    "gunicorn worker peak RSS under lookup load (VmHWM)",
                    service_rss,
                    "MB",
                    hello_rss,
                    "hello-world worker",
                )
            )
        if scale:
            # the same running server: the data grows under it, as it would in production
            results += _scale(db, server, size, paths_file, small, service_rss)
    return results


def _lookup_results(backend: str, hello: Load, js: Load, html: Load) -> list[Result]:
    return [
        Result(
            "lookup",
            backend,
            "hello-world throughput (baseline)",
            hello.throughput,
            "req/s",
            note=_errors_note(hello),
        ),
        Result(
            "lookup",
            backend,
            "JSON lookup throughput",
            js.throughput,
            "req/s",
            hello.throughput,
            "hello-world",
            Target(">=", 0.6),
            _errors_note(js),
        ),
        Result(
            "lookup",
            backend,
            "HTML lookup throughput",
            html.throughput,
            "req/s",
            hello.throughput,
            "hello-world",
            Target(">=", 0.5),
            _errors_note(html),
        ),
        Result(
            "lookup",
            backend,
            "JSON lookup p99 latency",
            js.p99_ms,
            "ms",
            hello.p99_ms,
            "hello-world p99",
            Target("<=", 3),
            "failed requests included" if js.errors else "",
        ),
        Result(
            "lookup",
            backend,
            "HTML lookup p99 latency",
            html.p99_ms,
            "ms",
            hello.p99_ms,
            "hello-world p99",
            Target("<=", 3),
        ),
    ]


def _scale(
    db: BenchDatabase,
    server: Server,
    size: Size,
    paths_file: Path,
    small: Load,
    small_rss: float,
) -> list[Result]:
    backend = db.backend
    say(f"{backend}: loading filler codes up to {size.scale_large:,}")
    added = add_filler_codes(db, size.scale_large)
    say(f"{backend}: added {added:,} filler codes; JSON lookup at scale")
    _check_genuine(server, paths_file.read_text().splitlines()[0])
    large = _load(server, paths_file, size, JSON)
    large_rss = server.worker_peak_rss_mb()
    label = f"{size.scale_large:,} vs {size.scale_small:,} codes"
    return [
        Result(
            "scale",
            backend,
            f"JSON lookup throughput, {label}",
            large.throughput,
            "req/s",
            small.throughput,
            f"at {size.scale_small:,}",
            Target(">=", 0.8),
            _errors_note(large),
        ),
        Result(
            "scale",
            backend,
            f"JSON lookup p99 latency, {label}",
            large.p99_ms,
            "ms",
            small.p99_ms,
            f"at {size.scale_small:,}",
        ),
        Result(
            "memory",
            backend,
            f"gunicorn worker peak RSS, lookups at {size.scale_large:,} codes",
            large_rss,
            "MB",
            small_rss,
            f"at {size.scale_small:,}",
        ),
    ]
