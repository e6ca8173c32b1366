"""What docs/performance.md says about targets: met, missed, and met by too little to trust."""

from __future__ import annotations

import pytest

from bench.report import ANALYSIS, document
from bench.results import Result, Target, verdict


def _lookup(ratio: float) -> Result:
    return Result(
        "lookup",
        "postgresql",
        "JSON lookup throughput",
        ratio * 1000,
        "req/s",
        1000,
        "hello-world",
        Target(">=", 0.6),
    )


def _memory(mb: float) -> Result:
    return Result("memory", "sqlite", "peak RSS", mb, "MB", target=Target("<=", 300, on="value"))


def _doc(*results: Result) -> str:
    return document(list(results), size="tiny", backends=["postgresql"], extra={})


@pytest.mark.parametrize(
    ("target", "value", "ratio", "headroom"),
    [
        (Target(">=", 0.6), None, 0.66, 0.1),
        (Target(">=", 0.6), None, 0.54, -0.1),
        (Target("<=", 3), None, 1.5, 0.5),
        (Target("<=", 300, on="value"), 330.0, None, -0.1),
    ],
)
def test_headroom_is_the_distance_inside_the_line_as_a_share_of_the_bound(
    target: Target, value: float | None, ratio: float | None, headroom: float
) -> None:
    assert target.headroom(value, ratio) == pytest.approx(headroom)


def test_a_target_met_by_less_than_five_percent_is_a_close_call_with_its_analysis() -> None:
    close = _lookup(0.617)
    assert close.met and close.close
    assert verdict(close) == "met, close"
    text = _doc(close, _memory(200))
    assert "2 met, 0 missed, 0 pending; 1 of the met within 5% of the line." in text
    assert "- **Close** — lookup/postgresql: JSON lookup throughput (ratio ≥ 0.6): 0.617" in text
    assert "### Why" in text and ANALYSIS["lookup"][:60] in text


def test_a_target_met_comfortably_needs_no_explanation() -> None:
    comfortable = _lookup(0.7)
    assert comfortable.met and not comfortable.close
    assert verdict(comfortable) == "met"
    text = _doc(comfortable)
    assert "1 met, 0 missed, 0 pending." in text
    assert "**Close**" not in text and "### Why" not in text


def test_a_missed_target_is_not_also_a_close_call() -> None:
    missed = _lookup(0.59)
    assert missed.met is False and not missed.close
    text = _doc(missed)
    assert "- **Missed** — lookup/postgresql" in text and "**Close**" not in text
    assert text.count(ANALYSIS["lookup"][:60]) == 1


def test_a_budget_close_to_its_ceiling_is_a_close_call_too() -> None:
    assert _memory(290).close
    assert not _memory(200).close
    assert not _memory(310).met
