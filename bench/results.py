"""One measured figure with its baseline, ratio and target, and the table they make."""

from __future__ import annotations

import math
from dataclasses import dataclass

CLOSE = 0.05  # a met target within 5 % of its bound is reported as a close call


@dataclass(frozen=True)
class Target:
    """A bound on a result's ratio (or, for budgets such as memory, on its value)."""

    op: str  # ">=" or "<="
    bound: float
    on: str = "ratio"  # "ratio" or "value"

    def met(self, value: float | None, ratio: float | None) -> bool | None:
        subject = ratio if self.on == "ratio" else value
        if subject is None or math.isnan(subject):
            return None
        return subject >= self.bound if self.op == ">=" else subject <= self.bound

    def headroom(self, value: float | None, ratio: float | None) -> float | None:
        """How far inside its line the figure is, as a fraction of the bound (< 0: missed).

        Run-to-run noise here is several percent, so a figure met by less than `CLOSE`
        may miss on the next run; the report says so instead of a bare "met".
        """
        subject = ratio if self.on == "ratio" else value
        if subject is None or math.isnan(subject) or not self.bound:
            return None
        spare = subject - self.bound if self.op == ">=" else self.bound - subject
        return spare / abs(self.bound)

    def __str__(self) -> str:
        sign = "≥" if self.op == ">=" else "≤"
        return f"{self.on} {sign} {self.bound:g}"


@dataclass(frozen=True)
class Result:
    """A figure from one benchmark on one backend (backend "-" when no database is used)."""

    benchmark: str
    backend: str
    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        return self.target.met(self.value, self.ratio) if self.target else None

    @property
    def close(self) -> bool:
        """Met, but by less than `CLOSE` of the bound: the next run may miss it."""
        if not self.met or self.target is None:
            return False
        headroom = self.target.headroom(self.value, self.ratio)
        return headroom is not None and headroom < CLOSE


def fmt(number: float | None) -> str:
    """Three significant figures, thousands separated; "–" when there is no number."""
    if number is None or math.isnan(number):
        return "–"
    if number == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(number)))
    digits = max(0, 2 - magnitude)
    return f"{number:,.{digits}f}"


def verdict(result: Result) -> str:
    met = result.met
    if result.target is None:
        return ""
    if met is None:
        return "pending"
    if not met:
        return "**missed**"
    return "met, close" if result.close else "met"


HEADER = ("Benchmark", "Backend", "Figure", "Value", "Baseline", "Ratio", "Target", "")


def table_rows(results: list[Result]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for r in results:
        base = f"{fmt(r.baseline)} ({r.baseline_name})" if r.baseline_name else ""
        rows.append(
            (
                r.benchmark,
                r.backend,
                r.name + (f" — {r.note}" if r.note else ""),
                f"{fmt(r.value)} {r.unit}".strip() if r.value is not None else r.unit,
                base,
                fmt(r.ratio) if r.ratio is not None else "",
                str(r.target) if r.target else "",
                verdict(r),
            )
        )
    return rows


def markdown_table(results: list[Result]) -> str:
    rows = [HEADER, *table_rows(results)]
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:]
    ]
    return "\n".join(lines)


def text_table(results: list[Result]) -> str:
    """The same table aligned for a terminal."""
    rows = [HEADER, *table_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
