"""How much of the machine other work took while the benchmark ran.

The ratios hold up against a machine that is slower or faster as a whole, not against
another job taking a core away for part of a run (a test suite started beside it): one run
on 2026-12-05 put hello-world at 2,500 req/s instead of 6,000 while a helper's tests ran,
and its ratios meant nothing. The document says how busy the rest of the machine was, so a
spoiled run shows as one. "Ours" is this process, everything it started (servers, wrk,
the CLI) and PostgreSQL's processes (a benchmark's database load; another client's
queries on the same server are counted as ours, so the figure is a lower bound).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

# above this share of the machine's CPU taken by other work, figures are not comparable
SPOILED = 0.10

_PROC = Path("/proc")


def busy_ticks() -> int:
    """CPU ticks the whole machine spent working (not idle, not waiting for disks)."""
    fields = (_PROC / "stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return user + nice + system + irq + softirq + steal


def _stat(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:  # gone meanwhile
        return None
    return text.rsplit(")", 1)[1].split()


def _ticks(fields: list[str]) -> int:
    """utime + stime + cutime + cstime: the process and its children it has reaped."""
    return sum(int(fields[i]) for i in (11, 12, 13, 14))


def own_ticks(root: int) -> int:
    """CPU ticks of `root`, its live descendants, their reaped children and PostgreSQL."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    postgres = 0
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        fields = _stat(pid)
        if fields is None:
            continue
        parents[pid] = int(fields[1])
        ticks[pid] = _ticks(fields)
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                postgres += ticks[pid]
                ticks[pid] = 0  # counted once, here
        except OSError:
            continue
    total = postgres
    for pid, count in ticks.items():
        ancestor = pid
        while ancestor not in (0, 1, root):
            ancestor = parents.get(ancestor, 0)
        if ancestor == root:
            total += count
    return total


def foreign_share(busy: int, own: int, seconds: float, cores: int, hertz: int) -> float:
    """The share of the machine's CPU (0-1) spent on work that is not ours."""
    if seconds <= 0 or cores <= 0:
        return 0.0
    return max(0.0, (busy - own) / hertz) / (seconds * cores)


@dataclass
class LoadWatch:
    """Started before the benchmarks, read after them."""

    root: int
    started: float
    busy: int
    own: int

    @classmethod
    def start(cls, root: int | None = None) -> LoadWatch:
        root = os.getpid() if root is None else root
        return cls(root, time.monotonic(), busy_ticks(), own_ticks(root))

    def share(self) -> float:
        """Other work's share of the machine since `start`."""
        return foreign_share(
            busy_ticks() - self.busy,
            own_ticks(self.root) - self.own,
            time.monotonic() - self.started,
            os.cpu_count() or 1,
            os.sysconf("SC_CLK_TCK"),
        )


def describe(share: float) -> str:
    """The document's line for it."""
    text = f"other processes took {share:.0%} of the machine's CPU while the benchmarks ran"
    if share > SPOILED:
        text += (
            f" (over {SPOILED:.0%}: the ratios are not comparable with other runs; "
            "rerun on a quiet machine)"
        )
    return text
