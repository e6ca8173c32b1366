"""`python -m bench`: run the benchmarks, print the table, write docs/performance.md."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.databases import postgres_admin_url, postgres_link, postgres_reachable
from bench.progress import say
from bench.results import Result, text_table
from bench.sizes import SIZES

BENCHMARKS = ("lookup", "scale", "issuing", "labels", "verify", "memory")
DB_BENCHMARKS = {"lookup", "scale", "issuing", "memory"}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks as ratios to baselines measured in the same run.",
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        help="run only this benchmark (repeatable); memory comes with lookup and issuing",
    )
    parser.add_argument("--output", type=Path, default=Path("docs/performance.md"))
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where databases go (default: a temp dir)"
    )
    return parser.parse_args(argv)


def run(size_name: str, backends: list[str], only: set[str], workdir: Path) -> list[Result]:
    from bench.issuing import run_issuing
    from bench.labels import run_labels
    from bench.lookup import run_lookup
    from bench.verification import run_verification

    size = SIZES[size_name]
    results: list[Result] = []
    for backend in backends:
        lookup = bool(only & {"lookup", "memory"})
        if lookup or "scale" in only:
            results += run_lookup(backend, size, workdir, lookup=lookup, scale="scale" in only)
        if only & {"issuing", "memory"}:
            results += run_issuing(backend, size, workdir, certificates="issuing" in only)
    if "labels" in only:
        results += run_labels(size)
    if "verify" in only:
        results += run_verification(size)
    order = {name: index for index, name in enumerate(BENCHMARKS)}
    return sorted(results, key=lambda r: order[r.benchmark])


def main(argv: Sequence[str] | None = None) -> list[Result]:
    from bench.report import document

    args = parse_args(argv)
    only = set(args.only or BENCHMARKS)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    extra: dict[str, str] = {}
    if "postgresql" in backends and only & DB_BENCHMARKS:
        problem = postgres_reachable(postgres_admin_url())
        if problem:
            sys.exit(f"PostgreSQL is not reachable ({problem}); use --backend sqlite")
        extra["PostgreSQL"] = _postgres_version()
        extra["PostgreSQL connection"] = postgres_link().transport
    from bench.machine_load import LoadWatch, describe

    watch = LoadWatch.start()
    with tempfile.TemporaryDirectory(prefix="bench-", dir=args.workdir) as tmp:
        results = run(args.size, backends, only, Path(tmp))
    other_load = watch.share()
    extra["Other load"] = describe(other_load)
    print(text_table(results))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        document(results, size=args.size, backends=backends, extra=extra, other_load=other_load),
        encoding="utf-8",
    )
    say(f"wrote {args.output}")
    return results


def _postgres_version() -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_admin_url())
    with engine.connect() as connection:
        version = str(connection.execute(text("show server_version")).scalar_one())
    engine.dispose()
    return version


if __name__ == "__main__":
    main()
