"""How the lookup benchmark pairs each lookup run with its hello-world baseline."""

from __future__ import annotations

import pytest

from bench.lookup import Round, _hello_loads, _paired
from bench.wrk import Load


def _load(throughput: float, p99_ms: float = 10.0) -> Load:
    return Load(requests=int(throughput * 8), seconds=8.0, errors=0, p50_ms=1.0, p99_ms=p99_ms)


def test_a_lookup_is_compared_with_hello_world_at_its_place_in_the_round() -> None:
    """Hello-world 1,200 before and 900 after: the JSON run (first third) sees 1,100."""
    turn = Round(_load(1200, 30), _load(660), _load(800), _load(900, 60))
    assert turn.baseline("json", "throughput") == pytest.approx(1100)
    assert turn.baseline("html", "throughput") == pytest.approx(1000)
    assert turn.baseline("json", "p99_ms") == pytest.approx(40)


def test_without_an_html_run_the_json_run_sits_halfway() -> None:
    turn = Round(_load(1200), _load(660), None, _load(1000))
    assert turn.baseline("json", "throughput") == pytest.approx(1100)


def test_a_round_without_a_closing_run_uses_its_opening_run() -> None:
    turn = Round(_load(1200), _load(660), _load(800))
    assert turn.baseline("json", "throughput") == pytest.approx(1200)


def test_the_median_round_is_reported_with_every_rounds_ratio() -> None:
    hellos = [_load(1000), _load(1000), _load(2000), _load(2000)]
    rounds = [
        Round(hellos[0], _load(600), None, hellos[1]),  # 0.6
        Round(hellos[1], _load(1000), None, hellos[2]),  # against 1,500: 0.667
        Round(hellos[2], _load(1000), None, hellos[3]),  # 0.5
    ]
    value, base, note = _paired(rounds, "json", "throughput")
    assert (value, base) == (pytest.approx(600), pytest.approx(1000))
    assert "median of 3 rounds" in note and "0.667" in note
    assert _hello_loads(rounds) == hellos
