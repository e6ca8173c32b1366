"""Benchmarks 1, 2 and 6a: the public QR lookup under gunicorn + wrk, against hello-world.

The lookup is the real workload: every hit reads its code's row and scans, checks the
code against its stored signature, answers from its certificate's facts (cached per worker,
see `traceability.lookup.snapshots`), counts a scan and signs the JSON answer.
"""

from __future__ import annotations

import contextlib
import json
import random
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.databases import BenchDatabase, add_filler_codes, create_database, issue_codes
from bench.progress import say
from bench.results import Result, Target, fmt
from bench.servers import HELLO_APP, SERVICE_APP, Server, free_port, gunicorn
from bench.sizes import Size
from bench.wrk import Load, run_wrk

JSON = "application/json"
HTML = "text/html"


@dataclass(frozen=True)
class Round:
    """One turn of each kind of load, measured back to back between two hello-world runs.

    The closing hello-world run of one round opens the next, so n rounds take n + 1.
    """

    hello: Load | None
    json: Load
    html: Load | None
    hello_after: Load | None = None

    def baseline(self, kind: str, figure: str) -> float:
        """Hello-world's `figure` at the time the `kind` ("json" or "html") load ran.

        Interpolated between the runs before and after it (they are at 0 and 1; the
        lookups in between at equal steps), so a machine that slows down or speeds up
        during the round moves the baseline with the lookup instead of against it.
        """
        assert self.hello is not None
        before = float(getattr(self.hello, figure))
        if self.hello_after is None:
            return before
        after = float(getattr(self.hello_after, figure))
        loads = ["json"] + (["html"] if self.html is not None else [])
        at = (loads.index(kind) + 1) / (len(loads) + 1)
        return before + (after - before) * at


class _Loader:
    """wrk runs against the servers; each kind of load is warmed up before its first run."""

    def __init__(self, paths_file: Path, size: Size) -> None:
        self.paths_file = paths_file
        self.size = size
        self.warm: set[tuple[str, str]] = set()

    def load(self, server: Server, accept: str) -> Load:
        if (server.base_url, accept) not in self.warm:
            self.warm.add((server.base_url, accept))
            self._wrk(server, accept, self.size.warmup_seconds)
        return self._wrk(server, accept, self.size.wrk_seconds)

    def _wrk(self, server: Server, accept: str, seconds: int) -> Load:
        return run_wrk(
            server.base_url,
            self.paths_file,
            seconds=seconds,
            connections=self.size.connections,
            accept=accept,
        )

    def rounds(self, service: Server, hello: Server | None, *, html: bool) -> list[Round]:
        """Hello-world, JSON, HTML and hello-world again in turn, `size.rounds` times.

        On this shared machine throughput drifts by tens of percent from one minute to the
        next; measured in turn, a slow minute hits a lookup and its baseline alike instead
        of only one of them (one long run each made the ratio a matter of luck), and the
        hello-world runs on both sides of each lookup follow the drift within the round
        (`Round.baseline`).
        """
        rounds = []
        opening = self.load(hello, JSON) if hello is not None else None
        for _ in range(self.size.rounds):
            json_load = self.load(service, JSON)
            html_load = self.load(service, HTML) if html else None
            closing = self.load(hello, JSON) if hello is not None else None
            rounds.append(Round(opening, json_load, html_load, closing))
            opening = closing
        return rounds


def _median(pairs: list[tuple[float, float]]) -> tuple[float, float, str]:
    """The (value, baseline) pair with the median ratio, and every round's ratio for the note.

    A pair from one round, not a median of values and a median of baselines taken from
    different rounds: the figures shown are ones measured together.
    """
    ratios = ", ".join(fmt(value / base) for value, base in pairs)
    value, base = sorted(pairs, key=lambda pair: pair[0] / pair[1])[len(pairs) // 2]
    note = f"median of {len(pairs)} rounds (ratios {ratios})" if len(pairs) > 1 else ""
    return value, base, note


def _paired(rounds: list[Round], kind: str, figure: str) -> tuple[float, float, str]:
    """`_median` of a lookup figure ("json" or "html") against hello-world's of each round."""
    pairs = []
    for turn in rounds:
        load = getattr(turn, kind)
        assert load is not None
        pairs.append((float(getattr(load, figure)), turn.baseline(kind, figure)))
    return _median(pairs)


def _hello_loads(rounds: list[Round]) -> list[Load]:
    """Every hello-world run once (a round's closing run is the next one's opening run)."""
    loads = [r.hello for r in rounds[:1] if r.hello is not None]
    return loads + [r.hello_after for r in rounds if r.hello_after is not None]


def _median_load(loads: list[Load]) -> Load:
    """The run with the median throughput (scale compares runs minutes apart, not in turn)."""
    return sorted(loads, key=lambda load: load.throughput)[len(loads) // 2]


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


def _join(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _measure(
    db: BenchDatabase, size: Size, paths_file: Path, *, lookup: bool, scale: bool
) -> list[Result]:
    backend = db.backend
    results: list[Result] = []
    first_path = paths_file.read_text().splitlines()[0]
    loader = _Loader(paths_file, size)
    hello_port, port = free_port(), free_port()
    with contextlib.ExitStack() as servers:
        hello = None
        if lookup:
            hello = servers.enter_context(
                gunicorn(HELLO_APP, _env(db, hello_port, size), hello_port, "/")
            )
        server = servers.enter_context(
            gunicorn(SERVICE_APP, _env(db, port, size), port, "/healthz")
        )
        _check_genuine(server, first_path)
        kinds = "hello-world, JSON and HTML lookups" if lookup else "JSON lookups"
        say(f"{backend}: {size.rounds} rounds of {kinds}")
        rounds = loader.rounds(server, hello, html=lookup)
        small = _median_load([r.json for r in rounds])
        service_rss = server.worker_peak_rss_mb()
        if hello is not None:
            results += _lookup_results(backend, rounds)
            results.append(
                Result(
                    "memory",
                    backend,
                    "gunicorn worker peak RSS under lookup load (VmHWM)",
                    service_rss,
                    "MB",
                    hello.worker_peak_rss_mb(),
                    "hello-world worker",
                )
            )
        if scale:
            # the same running server: the data grows under it, as it would in production
            results += _scale(db, server, loader, small, service_rss)
    return results


def _lookup_results(backend: str, rounds: list[Round]) -> list[Result]:
    hello = _hello_loads(rounds)
    js = [r.json for r in rounds]
    html = [r.html for r in rounds if r.html is not None]
    js_value, js_base, js_note = _paired(rounds, "json", "throughput")
    html_value, html_base, html_note = _paired(rounds, "html", "throughput")
    js_p99, js_p99_base, js_p99_note = _paired(rounds, "json", "p99_ms")
    html_p99, html_p99_base, html_p99_note = _paired(rounds, "html", "p99_ms")
    rounds_note = f"median of {len(hello)} runs around {len(rounds)} rounds" if rounds else ""
    return [
        Result(
            "lookup",
            backend,
            "hello-world throughput (baseline)",
            _median_load(hello).throughput,
            "req/s",
            note=_join(rounds_note, _errors_note(*hello)),
        ),
        Result(
            "lookup",
            backend,
            "JSON lookup throughput",
            js_value,
            "req/s",
            js_base,
            "hello-world",
            Target(">=", 0.6),
            _join(js_note, _errors_note(*js)),
        ),
        Result(
            "lookup",
            backend,
            "HTML lookup throughput",
            html_value,
            "req/s",
            html_base,
            "hello-world",
            Target(">=", 0.5),
            _join(html_note, _errors_note(*html)),
        ),
        Result(
            "lookup",
            backend,
            "JSON lookup p99 latency",
            js_p99,
            "ms",
            js_p99_base,
            "hello-world p99",
            Target("<=", 3),
            _join(js_p99_note, "failed requests included" if any(j.errors for j in js) else ""),
        ),
        Result(
            "lookup",
            backend,
            "HTML lookup p99 latency",
            html_p99,
            "ms",
            html_p99_base,
            "hello-world p99",
            Target("<=", 3),
            html_p99_note,
        ),
    ]


def _scale(
    db: BenchDatabase,
    server: Server,
    loader: _Loader,
    small: Load,
    small_rss: float,
) -> list[Result]:
    backend, size = db.backend, loader.size
    say(f"{backend}: loading filler codes up to {size.scale_large:,}")
    added = add_filler_codes(db, size.scale_large)
    say(f"{backend}: added {added:,} filler codes; JSON lookups at scale")
    _check_genuine(server, loader.paths_file.read_text().splitlines()[0])
    loader.warm.clear()  # the data grew under the server: warm up again
    runs = [loader.load(server, JSON) for _ in range(size.rounds)]
    large = _median_load(runs)
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
            _join(
                f"median of {len(runs)} runs at each size" if len(runs) > 1 else "",
                _errors_note(*runs),
            ),
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
