"""Behind nginx (or any reverse proxy that terminates TLS): whose address is the client's.

Without this every request seems to come from the proxy's own address, so the public
rate limit, the sign-in lockout and the coarse scan places (the clone signal) would all
treat the whole county as one client: after 120 scans a minute everyone would be refused.
`TRUSTED_PROXIES` says how many proxies in front of gunicorn append to
`X-Forwarded-For` / `-Proto` / `-Host` / `-Prefix`; werkzeug's ProxyFix then takes the
address that the outermost trusted proxy saw. It stays 0 (headers ignored) unless a proxy
is really there: a client talking to gunicorn directly could otherwise name any address
it likes and slip past the limits.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Wrap outermost, so the lookup fast path in front of Flask sees the client too."""
    proxies = int(app.config["TRUSTED_PROXIES"])  # 0 or more: config.NUMBERS
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
