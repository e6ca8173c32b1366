"""Benchmarks 3 and 6b: issuing through the domain function, and the bulk CLI run.

The baseline is what the machine needs just to make the same number of bare Ed25519
signatures with `cryptography`, measured in the same run, right before.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nacl.bindings

from bench.databases import BenchDatabase, create_database, issuable_batch
from bench.progress import say
from bench.results import Result, Target
from bench.servers import ROOT, peak_rss_mb
from bench.sizes import Size
from traceability.codes import new_group_code, signed_message
from traceability.codes.alphabet import b32encode

BULK_RSS_BUDGET_MB = 300


def bare_signing_seconds(count: int) -> float:
    """Seconds to make `count` bare Ed25519 signatures over code-shaped messages.

    Through libsodium, as the service signs: the machine's own cost of a signature.
    """
    _, secret = nacl.bindings.crypto_sign_keypair()
    group = new_group_code()
    messages = [
        signed_message(group, b32encode(secrets.token_bytes(10)), "ABCD")
        for _ in range(min(count, 10_000))
    ]
    sign = nacl.bindings.crypto_sign
    start = time.perf_counter()
    for index in range(count):
        sign(messages[index % len(messages)], secret)
    return time.perf_counter() - start


def _issue_once(db: BenchDatabase, producer_id: int, batch_id: int, items: int) -> float:
    """Seconds for one `issue_certificate` call with `items` codes, commit included."""
    from traceability import keystore
    from traceability.db import get_engine, session_scope
    from traceability.issuing.service import IssueRequest, issue_certificate

    app = db.flask_app()
    request = IssueRequest(
        producer_id=producer_id,
        batch_id=batch_id,
        item_count=items,
        basis=["quality_control"],
        signature_confirmed=True,
        channel="bench",
    )
    with app.app_context():
        start = time.perf_counter()
        with session_scope(get_engine()) as session:
            key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
            issue_certificate(session, request, key, max_items=max(items, 1))
        return time.perf_counter() - start


def _certificate_results(db: BenchDatabase, size: Size) -> list[Result]:
    producer_id, batch_id = issuable_batch(db)
    _issue_once(db, producer_id, batch_id, 1)  # warm: key decryption, imports, caches
    results = []
    for items, repeats in zip(size.certificate_items, size.certificate_repeats, strict=True):
        say(f"{db.backend}: one certificate with {items:,} item code(s) ×{repeats}")
        seconds = statistics.median(
            _issue_once(db, producer_id, batch_id, items) for _ in range(repeats)
        )
        bare = statistics.median(bare_signing_seconds(items) for _ in range(repeats))
        results.append(
            Result(
                "issuing",
                db.backend,
                f"one certificate with {items:,} item code{'s' if items > 1 else ''} "
                "(issue_certificate + commit, median)",
                seconds * 1000,
                "ms",
                bare * 1000,
                f"{items:,} bare signature{'s' if items > 1 else ''}",
            )
        )
    return results


def run_cli_issue(db: BenchDatabase, items: int, output: Path) -> tuple[float, float, str]:
    """`traceability issue --items N --output FILE`: (seconds, peak RSS in MB, stderr)."""
    producer_id, batch_id = issuable_batch(db)
    command = [
        sys.executable,
        "-m",
        "traceability",
        "issue",
        "--producer-id",
        str(producer_id),
        "--batch-id",
        str(batch_id),
        "--items",
        str(items),
        "--max-items",
        str(max(items, 1)),
        "--basis",
        "quality_control",
        "--confirm-signature",
        "--output",
        str(output),
        "--progress",
    ]
    log = output.with_suffix(".log")
    rss_file = output.with_suffix(".rss")
    # Not wait4's ru_maxrss: it survives exec on Linux, so a child forked straight from this
    # (large) benchmark process would report our RSS. GNU time forks from its own small
    # process; without it, poll the child's VmHWM (exec gives it a fresh address space).
    timer = shutil.which("time")
    prefix = [timer, "-f", "%M", "-o", str(rss_file)] if timer else []
    peak_kb = 0
    with log.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            [*prefix, *command],
            env=db.env("http://127.0.0.1:8000"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        while process.poll() is None:
            if not timer:
                with contextlib.suppress(OSError, RuntimeError):  # it may exit meanwhile
                    peak_kb = max(peak_kb, int(peak_rss_mb(process.pid) * 1024))
            time.sleep(0.05)
        seconds = time.perf_counter() - start
    stderr = log.read_text("utf-8", errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"traceability issue failed ({process.returncode}): {stderr[-2000:]}")
    if timer:
        peak_kb = int(rss_file.read_text().split()[-1])
    return seconds, peak_kb / 1024, stderr


def _bulk_results(db: BenchDatabase, size: Size, workdir: Path) -> list[Result]:
    backend = db.backend
    _, one_rss, _ = run_cli_issue(db, 1, workdir / "one.csv")
    say(f"{backend}: {size.bulk_codes:,} bare Ed25519 signatures")
    bare = bare_signing_seconds(size.bulk_codes)
    say(f"{backend}: traceability issue --items {size.bulk_codes:,} --output …")
    output = workdir / "bulk.csv"
    seconds, rss, stderr = run_cli_issue(db, size.bulk_codes, output)
    with output.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1
    if rows != size.bulk_codes:
        raise RuntimeError(f"bulk run wrote {rows} codes, expected {size.bulk_codes}")
    bar = "code/s" in stderr or "code]" in stderr
    output.unlink()
    return [
        Result(
            "issuing",
            backend,
            f"bulk: traceability issue --items {size.bulk_codes:,} --output FILE"
            + ("" if bar else " (no progress bar seen!)"),
            seconds,
            "s",
            bare,
            f"{size.bulk_codes:,} bare signatures",
            Target("<=", 3),
        ),
        Result(
            "memory",
            backend,
            f"peak RSS of the bulk {size.bulk_codes:,}-code run",
            rss,
            "MB",
            one_rss,
            "same command, 1 code",
            Target("<=", BULK_RSS_BUDGET_MB, on="value"),
        ),
    ]


def run_issuing(
    backend: str, size: Size, workdir: Path, *, certificates: bool = True, bulk: bool = True
) -> list[Result]:
    say(f"{backend}: issuing database")
    db = create_database(backend, workdir, "issuing")
    try:
        results = _certificate_results(db, size) if certificates else []
        if bulk:
            results += _bulk_results(db, size, workdir)
        return results
    finally:
        db.drop()
