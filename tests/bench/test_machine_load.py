"""A run spoiled by other work on the machine says so in docs/performance.md."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.machine_load import LoadWatch, describe, foreign_share
from bench.report import document
from tests.bench.test_report import _lookup


def test_the_share_is_the_machine_s_work_that_is_not_ours() -> None:
    # 2 cores for 10 s at 100 ticks a second: 2,000 ticks; others worked 500 of them
    assert foreign_share(busy=1_500, own=1_000, seconds=10, cores=2, hertz=100) == 0.25
    assert foreign_share(busy=900, own=1_000, seconds=10, cores=2, hertz=100) == 0.0
    assert foreign_share(busy=900, own=0, seconds=0, cores=2, hertz=100) == 0.0


def test_a_busy_process_outside_the_benchmark_is_counted_as_other_load() -> None:
    """A process the watched root did not start spins for a second: that is other load,
    whatever else runs beside the test (which only adds to it)."""
    idle_root = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        watch = LoadWatch.start(idle_root.pid)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # this test process is not under the root
            pass
        share = watch.share()
    finally:
        idle_root.kill()
        idle_root.wait()
    cores = os.cpu_count() or 1
    assert share * cores >= 0.6, share  # most of a core's second, at least


def test_a_spoiled_run_is_named_in_the_document_and_a_quiet_one_is_not() -> None:
    spoiled = document([_lookup(0.7)], size="tiny", backends=["sqlite"], extra={}, other_load=0.4)
    assert "**Spoiled run:** other processes took 40%" in spoiled
    quiet = document([_lookup(0.7)], size="tiny", backends=["sqlite"], extra={}, other_load=0.02)
    assert "Spoiled run" not in quiet
    assert "not comparable" in describe(0.4) and "not comparable" not in describe(0.02)
