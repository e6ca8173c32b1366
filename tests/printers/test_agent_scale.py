"""The scale reader accepts a weight only when the scale is steady."""

from __future__ import annotations

from decimal import Decimal

from printers.agent.scale import ScaleReader, StabilityFilter, parse_line


def test_lines_from_common_scales_parse_to_kilograms() -> None:
    assert parse_line("ST,GS,+  1.234kg").kg == Decimal("1.234")  # type: ignore[union-attr]
    assert parse_line("US,GS,+  0.500kg").unstable_flag is True  # type: ignore[union-attr]
    assert parse_line("1250 g").kg == Decimal("1.250")  # type: ignore[union-attr]
    assert parse_line("  2.4  ").kg == Decimal("2.400")  # type: ignore[union-attr]
    assert parse_line("ERR") is None


def test_a_weight_is_stable_only_after_five_agreeing_readings() -> None:
    reader = ScaleReader("loop://", StabilityFilter(window=5, tolerance=Decimal("0.005")))
    weights = [
        reader.feed(f"ST,GS,+ {w}kg")
        for w in ("1.200", "1.230", "1.232", "1.231", "1.233", "1.232")
    ]
    assert [w.stable for w in weights if w] == [False, False, False, False, False, True]


def test_a_reading_the_scale_flags_unstable_is_never_stable() -> None:
    reader = ScaleReader("loop://")
    for _ in range(6):
        weight = reader.feed("US,GS,+  3.000kg")
    assert weight is not None and weight.stable is False


def test_a_moving_load_is_not_stable() -> None:
    reader = ScaleReader("loop://")
    for value in ("1.00", "1.10", "1.20", "1.30", "1.40", "1.50"):
        weight = reader.feed(value)
    assert weight is not None and weight.stable is False and weight.kg == Decimal("1.500")
