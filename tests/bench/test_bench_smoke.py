"""A tiny run of every benchmark, so the scripts cannot rot. No test here asserts a time."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS, main
from bench.databases import postgres_link
from bench.results import Result

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")

DATABASE_BENCHMARKS = ["lookup", "scale", "issuing", "memory"]


def _run(tmp_path: Path, backend: str, only: list[str]) -> tuple[list[Result], str]:
    output = tmp_path / "performance.md"
    args = ["--size", "tiny", "--backend", backend, "--output", str(output)]
    args += [arg for name in only for arg in ("--only", name)]
    results = main([*args, "--workdir", str(tmp_path)])
    return results, output.read_text("utf-8")


def _assert_figures(results: list[Result], benchmarks: list[str], document: str) -> None:
    assert {r.benchmark for r in results} == set(benchmarks)
    for r in results:
        assert isinstance(r.value, float | int), r
        assert math.isfinite(r.value) and r.value > 0, r
        if r.baseline is not None:
            assert math.isfinite(r.baseline) and r.baseline > 0, r
    assert "| Benchmark | Backend | Figure |" in document
    assert "- **Other load**: other processes took " in document  # a spoiled run would say so
    for r in results:
        assert f"| {r.benchmark} | {r.backend} | {r.name}" in document


def test_every_benchmark_yields_positive_figures_on_sqlite(tmp_path: Path) -> None:
    results, document = _run(tmp_path, "sqlite", list(BENCHMARKS))
    _assert_figures(results, list(BENCHMARKS), document)


def test_database_benchmarks_yield_positive_figures_on_postgresql(
    tmp_path: Path, postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_POSTGRES_URL", postgres_admin_url)
    results, document = _run(tmp_path, "postgresql", DATABASE_BENCHMARKS)
    _assert_figures(results, DATABASE_BENCHMARKS, document)
    assert {r.backend for r in results} == {"postgresql"}
    assert f"- **PostgreSQL connection**: {postgres_link().transport}\n" in document
