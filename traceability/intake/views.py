"""The intake page for market inspectors: a shell the scanner types into.

The page holds no data of its own: it talks to the intake API as the signed-in
inspector (session cookie plus CSRF header) or with a pasted inspector token (a shared
intake terminal), and caches the published keys and revocation list to keep verifying offline.
"""

from __future__ import annotations

from contextlib import nullcontext
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from traceability.auth.sessions import session_principal
from traceability.intake.service import offline_reasons

bp = Blueprint("intake", __name__)

# How the page names a verdict (intake.js `shown` maps the verifier's and the server's onto these)
VERDICT_LABELS = {
    "genuine": _l("真品"),
    "revoked": _l("已撤销"),
    "not_genuine": _l("无法验证"),
    "not_activated": _l("未激活"),
    "other_market": _l("已被其他市场收货"),
    "over_scanned": _l("重复收货"),
    "malformed": _l("无法识别"),
    "paper": _l("纸质合格证已登记"),
    "refused": _l("未能登记"),
}


def verdict_labels(language: str | None = None) -> dict[str, str]:
    """The labels in the page's language, or in `language` (the Chinese page's English line
    under each verdict, for staff who read English, comes from the same catalogue)."""
    with force_locale(language) if language else nullcontext():
        return {verdict: str(text) for verdict, text in VERDICT_LABELS.items()}


@bp.get("/intake")
def page() -> Response:
    """The page; the offline verifier accepts codes for our public host (and this one)."""
    english = str(get_locale()) == "en"
    hosts = {urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc.lower(), request.host.lower()}
    response = make_response(
        render_template(
            "intake/index.html",
            hosts=sorted(hosts),
            api_base=url_for("intake_api.intake").rsplit("/intake", 1)[0],
            signed_in=session_principal(),
            reasons=offline_reasons(english),
            labels=verdict_labels(),
            second_labels={} if english else verdict_labels("en"),
        )
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
