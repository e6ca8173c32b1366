"""Language selection: Chinese (zh_CN) first, English on request (?lang=en or cookie)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, has_request_context, request
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


def language_link(lang: str) -> str:
    """The link that switches the page to `lang`, keeping what else the page was asked for.

    A bare "?lang=en" would drop the rest of the query: a supervisor reading one code's
    scans (?code=…) or a chosen period would land on an empty form. The public lookup's
    pages are kept and served to every shopper, so theirs stays bare.
    """
    if not has_request_context() or request.blueprint == "lookup":
        return "?" + urlencode({"lang": lang})
    kept = [(name, value) for name, value in request.args.items(multi=True) if name != "lang"]
    return "?" + urlencode([*kept, ("lang", lang)])


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["language_link"] = language_link

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
