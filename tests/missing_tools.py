"""A system tool a spec needs but this machine lacks: skipped locally with the reason, a
failure under CI (CI=true), where `.ci/run` installs every tool the suite uses."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def tool_missing(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)
