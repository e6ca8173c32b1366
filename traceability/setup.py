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


def _ensure_signing_key(app: Flask) -> dict[str, Any]:
    from traceability import keystore
    from traceability.db import session_scope

    with session_scope(get_engine(app)) as session:
        record = keystore.ensure_active_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
        return {"kid": record.kid}


READY_HOOKS: list[Any] = [_ensure_signing_key]
