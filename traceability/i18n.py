"""Language selection: Chinese (zh_CN) first, English on request (?lang=en or cookie)."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel, get_locale

SUPPORTED = ("zh_CN", "en")
babel = Babel()


def select_locale() -> str:
    """A page is Chinese unless the user asked for English explicitly."""
    return language_for(request.args.get("lang") or request.cookies.get("lang"))


def language_for(asked: str | None) -> str:
    """The language for a `lang` parameter or cookie (Flask-free: the lookup's fast path)."""
    if (asked or "").replace("-", "_").lower().startswith("en"):
        return "en"
    return "zh_CN"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale

    @app.after_request
    def _remember_language(response):  # type: ignore[no-untyped-def]
        lang = request.args.get("lang")
        if lang in {"en", "zh_CN", "zh-CN"}:
            response.set_cookie(
                "lang",
                lang.replace("-", "_"),
                max_age=365 * 86400,
                samesite="Lax",
                secure=app.config["SESSION_COOKIE_SECURE"],
            )
        return response
