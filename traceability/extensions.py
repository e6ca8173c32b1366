"""Flask extensions, created unbound and bound in `init_app`."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

limiter = Limiter(key_func=get_remote_address, default_limits=[])
csrf = CSRFProtect()
login_manager = LoginManager()


def init_app(app: Flask) -> None:
    """Bind the extensions; the limiter honours RATELIMIT_ENABLED from config."""
    limiter.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"

    @app.after_request
    def _security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/.well-known/"):
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
        return response
