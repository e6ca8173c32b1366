"""Flask extensions, created unbound and bound in `init_app`."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
"""On every response (the lookup's fast path adds them itself)."""

limiter = Limiter(key_func=get_remote_address, default_limits=[])
csrf = CSRFProtect()
login_manager = LoginManager()


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer built once per secret.

    Flask builds it for every request, cookie or not (key derivation included): a
    visible share of a public lookup's time, for nothing.
    """

    def __init__(self) -> None:
        self._signer: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        secrets = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._signer is None or self._signer[0] != secrets:
            self._signer = (secrets, super().get_signing_serializer(app))
        return self._signer[1]


def init_app(app: Flask) -> None:
    """Bind the extensions; the limiter honours RATELIMIT_ENABLED from config."""
    app.session_interface = SessionCookies()
    limiter.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"

    @app.after_request
    def _security_headers(response):  # type: ignore[no-untyped-def]
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/.well-known/"):
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
        return response
