"""docs/performance.md: the machine, the table, what missed and why, how to rerun."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from bench.machine_load import SPOILED
from bench.results import CLOSE, Result, fmt, markdown_table
from bench.servers import ROOT

# Why a target is missed (or only just met), once we know; shown under the table.
ANALYSIS: dict[str, str] = {
    "lookup": (
        "Anonymous scans of `/C/<code>` are answered in front of Flask "
        "(`traceability/web/lookup_fast_path.py`: the same bytes through the same "
        "`answer_scan`, without Flask's request cycle). Under load the machine has no idle "
        "CPU (wrk, the workers and PostgreSQL share two cores), so a ratio is hello-world's "
        "CPU per request over ours. What a lookup adds: for JSON the per-answer Ed25519 JWS "
        "(~50 us; the contract, docs/code-format.md: every JSON answer, scan count included, "
        "is signed) and its canonical JSON (~15 us); on PostgreSQL one round trip for the "
        "code's fresh row (~65 us of worker CPU, ~140 us of server CPU: a bare prepared "
        "primary-key SELECT costs ~100 us of server CPU here, so it is the round trip, not "
        "the query) and the buffered scan writes. On 2026-12-03 the PostgreSQL side was cut: "
        "scan flushes write each batch as one statement per write (server and driver CPU per "
        "scan ~100 -> ~45 us each; later the same day the batch went as JSON rows, not "
        "arrays psycopg quoted element by element: flush CPU ~57 -> ~30 us a scan, in the "
        "thread that contends for the GIL with requests), the row is read through libpq's "
        "PQexecPrepared with "
        "psycopg's own row loader (-40 us of worker CPU per scan), and a scan opens no "
        "Session (-20 us); a verdict's JSON and a network's place key are kept (~25 us each "
        "between requests). Lookup-only runs that day: PostgreSQL JSON 0.45-0.53 before, "
        "0.58-0.62 after; HTML 0.60 -> 0.64-0.71; JSON p99 3.4x -> 2.4x. Later that day "
        "workers freeze their start-up objects (gc.freeze in gunicorn.conf.py): a full "
        "collection used to walk ~160,000 of them, a 250-290 ms pause per worker under load "
        "(p99 2.3x -> 1.8-2.1x); full runs since put PostgreSQL JSON at 0.59-0.62, on "
        "either side of its target. The read must stay "
        "fresh (revocations, scan counts); caching code rows per worker would help only a "
        "benchmark that cycles 5,000 codes, not phones that scan a code once or twice. "
        "Ratios also depend on the machine: the 2026-11-29 machine (hello-world ~3,400 req/s "
        "against ~2,100 here) gave 0.52 for SQLite JSON where this one gives 0.66-0.80. "
        "Measured since and left as they are (lookup-only PostgreSQL runs, JSON ratio): 5 "
        "workers 0.636 and 8 workers 0.546 against 4's 0.623; threaded workers 0.50-0.53; "
        "no scan_event insert 0.625; a Unix socket to PostgreSQL instead of TCP 0.628 against "
        "0.620; synchronous_commit=off 0.630. CPU per request by process on 2026-12-05: "
        "hello-world ~355 us in the worker; a JSON lookup ~513 us in the worker and ~105 us in "
        "PostgreSQL. Of a worker's own Python time a lookup is about 38 % (the read 8 %, "
        "signing 7 %, the JSON 7 %, the scan flush thread 5 %); the rest is gunicorn's "
        "request parsing, access log and socket writes, which hello-world pays too. The "
        "buffered scan writes are the largest part left that is not the read or the "
        "signature: a throw-away run that never flushed gave 2,997 req/s against 2,580-2,767 "
        "(PostgreSQL ~77 against ~105-118 us a request; per scan ~6 us for the count, ~8 us for "
        "the scan_event row, ~4 us for the place, ~3 us for the row locks, EXPLAIN ANALYZE of "
        "700-scan batches). Counting scans is the clone signal, so they stay. "
        "On the evening of 2026-12-05 the machine was faster at plain Python (hello-world "
        "~5,800-6,300 req/s against ~4,100 that morning) but not at switching between "
        "processes, and PostgreSQL JSON fell to 0.53-0.59 (HTML 0.59-0.64). CPU per request "
        "then (8 s runs, all processes): hello-world ~325 us (worker ~255, wrk ~70); a JSON "
        "lookup ~610 us (worker ~425, PostgreSQL ~100, wrk ~80). In one process without "
        "load the lookup's own Python is ~117 us (Ed25519 signing ~27 us of it), and the "
        "read costs ~21 us of client and ~32 us of server CPU (a prepared `SELECT 1` round "
        "trip alone: ~22 and ~23 us); a flush costs ~7 us of client and ~20 us of server CPU "
        "a scan. So about half of the difference is the worker waking for PostgreSQL and "
        "PostgreSQL for the worker on two busy cores, once for every scan. Throw-away "
        "variants, each within the ±40 us these runs move by: no signing -60 us, a code row "
        "kept in the worker -85 us, no scan written -60 to -115 us, item_code at fillfactor 90 "
        "(HOT updates: 92 % against 0 %) no change. Only keeping code rows in the worker "
        "removes the round trip, which helps a benchmark cycling 5,000 codes, not phones. "
        "Since 2026-12-05 the benchmark reaches a PostgreSQL on this machine over its local "
        "socket, as docs/deployment.md installs the service (the Machine section says which "
        "it used; `BENCH_POSTGRES_SOCKET=off` keeps TCP): that night's alternating "
        "lookup-only runs gave JSON 0.606 and 0.619 over the socket against 0.572 and 0.587 "
        "over loopback TCP, but the full run that followed (22:04, quiet) gave 0.581 over the "
        "socket against 0.590 over TCP in the 20:24 full run: within the ±0.03 these medians "
        "move by, so the transport is not what keeps PostgreSQL JSON under 0.6. A database on "
        "another host pays a network round trip instead. On 2026-12-06 responses are signed "
        "through libsodium (~15 us against OpenSSL's ~20; alternating lookup-only runs earlier "
        "that day gave PostgreSQL JSON +0.016, about 2.5 standard errors, and the full run on "
        "46b1cd6 gave 0.633, every round above 0.6). What is left is the "
        "round trip itself: on this machine a prepared `SELECT $1` over loopback TCP takes ~54 us "
        "and the code's query ~62 (EXPLAIN ANALYZE: 0.08 ms, all of it index scans)."
    ),
    "scale": (
        "The lookup reads by unique indexes only (EXPLAIN: index searches on item_code.serial, "
        "certificate and signing_key primary keys, revocation_event.serial, "
        "scan_event.item_code_id) and nothing per request grows with the data; what is left "
        "is deeper B-trees and colder pages. Separate scale-only runs on this machine gave "
        "0.82-0.92 on SQLite; figures below 0.8 came with other load on the shared machine "
        "and move by ±0.3 between runs."
    ),
    "issuing": (
        "Besides the signature, each code costs its base32 URL, a CSV row and its share of a "
        "2,000-row insert (the driver's executemany on SQLite, COPY on PostgreSQL, which "
        "halved the PostgreSQL bulk time). Since 2026-12-06 codes are signed through "
        "libsodium (PyNaCl), ~15 us a signature against OpenSSL's ~20, and the baseline signs "
        "the same way, so the ratio did not gain from it; what did: base32 without the "
        "standard library's pure-Python loop (~4.4 -> ~1 us a signature), item numbers read "
        "from the CSPRNG a thousand at a time (one system call per code had cost a third of a "
        "signature) and SQLite rows handed to the driver as tuples, not through SQLAlchemy's "
        "per-row parameter processing. Against the libsodium baseline, SQLite bulk went from "
        "2.89 before these three to 2.10 after (issuing-only runs that morning). "
        "The baseline (bare signatures) itself moves by ±30 % between runs on this shared "
        "machine, which moves the ratio with it."
    ),
    "labels": (
        "The bare QR matrix from `qrcode` (pure Python; make(fit=True) evaluates all eight "
        "masks) is the baseline; labels score the eight masks as shifts and popcounts over the "
        "whole symbol in one integer (printers/qr.py) and draw onto a cached template; what "
        "is left is mostly qrcode's own encoder (Reed-Solomon, bit buffer, placement). PNG "
        "encoding with optimize=True used to cost as much as the rest of the label; it is "
        "off now (about 3 % larger files)."
    ),
    "memory": (
        "The bulk run's peak equals the same command with 1 code: issuing streams (flat in the "
        "number of codes) and the peak is start-up (imports, app, fonts), not the codes."
    ),
}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _command(*args: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (done.stdout or done.stderr).strip().splitlines()  # wrk --version exits 1
    return lines[0] if lines else "unknown"


def _commit() -> str:
    """HEAD, and whether the working tree (which is what ran) differed from it."""
    head = _command("git", "rev-parse", "--short", "HEAD")
    done = subprocess.run(
        ["git", "status", "--porcelain", "--", "traceability", "printers", "migrations"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    dirty = len(done.stdout.splitlines())
    return f"{head} + {dirty} uncommitted files (others at work)" if dirty else head


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "Date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "Commit": _commit(),
        "CPU": _cpu_model(),
        "Cores": str(os.cpu_count()),
        "Python": platform.python_version(),
        "OS": platform.platform(),
        "SQLite": sqlite3.sqlite_version,
        "wrk": _command("wrk", "--version").split(" Copyright")[0],
    }


def document(
    results: list[Result],
    *,
    size: str,
    backends: list[str],
    extra: dict[str, str],
    other_load: float = 0.0,
) -> str:
    info = {**machine(), **extra}
    lines = [
        "# Performance",
        "",
        "Generated by `make bench` (`python -m bench`); do not edit by hand, rerun instead.",
        "Every figure is compared with a baseline measured in the same run on the same machine",
        "(these machines are shared and noisy): read the **Ratio** column, not the raw numbers.",
        "",
        "## Machine",
        "",
        *[f"- **{k}**: {v}" for k, v in info.items()],
        f"- **Size**: `{size}`; backends: {', '.join(backends)}",
        "",
        "## Results",
        "",
        markdown_table(results),
        "",
    ]
    missed = [r for r in results if r.met is False]
    close = [r for r in results if r.close]
    pending = [r for r in results if r.target and r.met is None]
    lines += ["## Targets", ""]
    met = sum(1 for r in results if r.met)
    summary = f"{met} met, {len(missed)} missed, {len(pending)} pending"
    if close:
        summary += f"; {len(close)} of the met within {CLOSE:.0%} of the line"
    lines.append(summary + ".")
    lines.append("")
    if other_load > SPOILED:
        lines += [
            f"**Spoiled run:** other processes took {other_load:.0%} of the machine's CPU "
            "meanwhile; these figures say little about the service. Rerun on a quiet machine.",
            "",
        ]
    for r in missed:
        lines.append(f"- **Missed** — {r.benchmark}/{r.backend}: {r.name} ({r.target}).")
    for r in close:
        lines.append(
            f"- **Close** — {r.benchmark}/{r.backend}: {r.name} ({r.target}): "
            f"{fmt(r.ratio if r.target and r.target.on == 'ratio' else r.value)}; "
            "the next run on this noisy machine may miss it."
        )
    why = [*missed, *close]
    explained = [b for b in dict.fromkeys(r.benchmark for r in why) if b in ANALYSIS]
    if explained:
        lines += ["", "### Why", ""]
        lines += [f"- **{b}**: {ANALYSIS[b]}" for b in explained]
    lines += ["", *NOTES, ""]
    return "\n".join(lines)


NOTES = [
    "## How it is measured",
    "",
    "1. **Lookup**: `wrk --latency` (`bench/lookup.lua`) at 32 connections, 2 threads, "
    "against gunicorn on 127.0.0.1 started with the project's `gunicorn.conf.py` "
    "(same workers for both apps; `bench/gunicorn_ready.conf.py` only adds a note from each "
    "worker once it has loaded the app, and measuring starts after all of them), "
    "`RATELIMIT_ENABLED=false`. The URLs are 5,000 distinct real issued codes of 10 "
    "certificates (`/C/<code>`): each request reads its code's row, checks it against the "
    "stored signature, takes the certificate's facts from the worker's cache (read from the "
    "database on a worker's first scan of each certificate and after every change), counts "
    "a scan (buffered per worker, written every second as one transaction) and signs the "
    "JSON answer or fills the kept page. These anonymous scans are answered by "
    "`traceability/web/lookup_fast_path.py` in front of Flask (same bytes as the Flask view, "
    "tests/traceability/web/test_lookup_fast_path.py). The baseline is `bench/hello_app.py` "
    "serving the same URLs. Hello-world, JSON, HTML and hello-world again are measured in "
    "turn, five rounds of 8 s runs (a 3 s warm-up run before each kind's first; a round's "
    "closing hello-world run opens the next), both servers up throughout: throughput here "
    "drifts by tens of percent from one minute to the next, and in turn a slow minute hits "
    "a lookup and its baseline alike. A lookup's baseline is hello-world's figure "
    "interpolated between the runs before and after it, at its place in the round, so drift "
    "within the round moves both. Each ratio is the median round's; the note lists every "
    "round's ratio.",
    "2. **Scale**: the same JSON lookup after bulk-loading unsigned filler codes (SQLite: "
    "executemany with `synchronous=OFF`; PostgreSQL: `COPY`), then `ANALYZE`; looked-up codes "
    "stay real issued ones. Ratio = throughput at the large size / at the small size "
    "(median of five 8 s runs at each).",
    "3. **Issuing**: `issue_certificate` + commit in-process (median of repeats) vs the same "
    "number of bare Ed25519 signatures through libsodium (PyNaCl), the library the service "
    "signs with; bulk = wall time of the "
    "`traceability issue --items N --output FILE --progress` process (start-up included) vs "
    "N bare signatures in the benchmark process.",
    "4. **Labels**: `traceability.labels.render_label_png` (layout → 1-bit raster → PNG) with a "
    "fresh code URL per label, one process (one core), vs building the bare QR matrix for the "
    "same URLs; bytes from `printers.drivers.get_driver(lang).encode(label, mode=…)`.",
    "5. **Offline verification**: `traceability.codes.Verifier(jwks, revocations_jws)"
    ".verify(url)` as `traceability verify` does, vs bare `Ed25519PublicKey.verify`.",
    "6. **Memory**: VmHWM from `/proc/<pid>/status` of every gunicorn worker after the load "
    "(largest shown); the bulk run's `ru_maxrss` from `wait4` on the CLI process.",
    "",
    "**Other load** (under Machine) is the machine's busy CPU time (`/proc/stat`) less that of "
    "the benchmark, everything it started and PostgreSQL, over the run: above 10 % the run "
    "is marked spoiled (`bench/machine_load.py`), since a job beside it slows a lookup and "
    "its baseline unevenly.",
    "",
    "## Rerun",
    "",
    "```sh",
    'make bench BENCH_ARGS="--size full --backend both"   # this document',
    "python -m bench --size tiny --backend sqlite --output /tmp/perf.md   # a quick look",
    "python -m bench --only lookup --only scale --backend postgresql",
    "```",
    "",
    "PostgreSQL comes from `BENCH_POSTGRES_URL` (else `TEST_POSTGRES_URL`, else the local "
    "test server); the role needs CREATEDB. A server on this machine is reached over its "
    "local socket, as docs/deployment.md installs the service, when the role may log in "
    "there (pg_hba.conf: `local all traceability scram-sha-256`, as `.ci/run` sets); "
    "`BENCH_POSTGRES_SOCKET=off` keeps TCP. `wrk` comes from Debian (`apt-get install wrk`).",
]
