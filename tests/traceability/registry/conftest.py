"""Fixtures of the registry's specifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from traceability.errors import Conflict
from traceability.registry import products as registry_products


@pytest.fixture
def lose_race(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """`lose_race()`: the registry's next look-before-write finds nothing, as when a concurrent
    request saves its product between this request's check and its write. Returns what each
    check does from then on, so a test can show the database, not the check, refused."""
    real = registry_products._refuse_taken
    seen: list[str] = []
    armed: list[bool] = []

    def racing(*args: Any) -> None:
        if armed:
            armed.clear()
            seen.append("skipped")
            return
        try:
            real(*args)
        except Conflict:
            seen.append("refused")
            raise
        seen.append("passed")

    monkeypatch.setattr(registry_products, "_refuse_taken", racing)

    def arm() -> list[str]:
        seen.clear()
        armed.append(True)
        return seen

    return arm
