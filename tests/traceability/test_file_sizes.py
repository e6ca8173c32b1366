"""Sizes in messages: a limit reads in the unit that keeps a digit worth reading."""

from __future__ import annotations

import pytest

from traceability.file_sizes import file_size


@pytest.mark.parametrize(
    ("size", "said"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1 KB"),
        (30 * 1024, "30 KB"),
        (200 * 1024 + 100, "200.1 KB"),
        (1024 * 1024 - 1, "1 MB"),  # 1023.999 KB rounds to the next unit, not to "1024 KB"
        (1024 * 1024, "1 MB"),
        (10 * 1024 * 1024 + 512 * 1024, "10.5 MB"),
    ],
)
def test_a_file_size_is_said_in_the_unit_that_keeps_a_digit_worth_reading(
    size: int, said: str
) -> None:
    assert file_size(size) == said
