"""承诺达标合格证与一品一码追溯服务 — the Flask application factory.

Everything that makes up the service is wired here and only here: configuration,
extensions, the database, blueprints and error handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured app; `config` overrides the environment (tests use it)."""
    from traceability import config as config_module
    from traceability import db, errors, extensions, i18n, working_days
    from traceability.lookup import scans, snapshots
    from traceability.web import (
        lookup_fast_path,
        register_blueprints,
        request_guard,
        reverse_proxy,
    )

    app = Flask(__name__, instance_relative_config=False)
    settings = config_module.load_settings(config)
    app.config.update(settings)
    extensions.init_app(app)
    i18n.init_app(app)
    db.init_app(app)
    scans.init_app(app)
    snapshots.init_app(app)
    errors.init_app(app)
    working_days.init_app(app)
    request_guard.init_app(app)
    register_blueprints(app)
    lookup_fast_path.init_app(app)
    reverse_proxy.init_app(app)  # outermost: everything inside sees the client's address
    return app
