"""Bring an instance to a runnable state; safe to run again and again."""

from __future__ import annotations

from typing import Any

from flask import Flask

from traceability import migrate
from traceability.db import get_engine


def ensure_ready(app: Flask) -> dict[str, Any]:
    """Instance folder and secrets (made by config), schema at head, a signing key."""
    migrate.upgrade(app.config["DATABASE_URL"], "head")
    engine = get_engine(app)
    report: dict[str, Any] = {
        "home": app.config["TRACEABILITY_HOME"],
        "database": engine.url.render_as_string(hide_password=True),
        "revision": migrate.current_revision(engine),
    }
    for hook in READY_HOOKS:
        report.update(hook(app))
    return report


READY_HOOKS: list[Any] = []
