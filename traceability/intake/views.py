"""The intake page for market inspectors: a shell the scanner types into.

The page holds no data of its own: it talks to the intake API as the signed-in
inspector (session cookie plus CSRF header) or with a pasted inspector token (a shared
intake terminal), and caches the published keys and revocation list to keep verifying offline.
"""

from __future__ import annotations

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
from flask_babel import get_locale

from traceability.auth.sessions import session_principal
from traceability.intake.service import offline_reasons

bp = Blueprint("intake", __name__)


@bp.get("/intake")
def page() -> Response:
    """The page; the offline verifier accepts codes for our public host (and this one)."""
    hosts = {urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc.lower(), request.host.lower()}
    response = make_response(
        render_template(
            "intake/index.html",
            hosts=sorted(hosts),
            api_base=url_for("intake_api.intake").rsplit("/intake", 1)[0],
            signed_in=session_principal(),
            reasons=offline_reasons(str(get_locale()) == "en"),
        )
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
