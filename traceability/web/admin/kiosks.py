"""Kiosk pages for supervisors: which kiosks are down and since when; producer cards."""

from __future__ import annotations

from flask import Response, current_app, render_template

from traceability.auth import policy
from traceability.db import get_session
from traceability.errors import NotFound
from traceability.kiosk import terminals
from traceability.models import Producer, Region
from traceability.models.producer_credential import ProducerCredential
from traceability.web.admin import bp, signed_in


@bp.get("/kiosks")
def kiosks() -> str:
    principal = signed_in()
    policy.require_region(principal, "terminal.view", None)
    session = get_session()
    rows = terminals.terminal_health(session, policy.township_scope(principal))
    townships = {r.id: r.name for r in session.exec(Region.__table__.select()).all()}  # type: ignore[attr-defined]
    return render_template("admin/kiosks.html", rows=rows, townships=townships)


@bp.get("/producers/<int:producer_id>/card.png")
def producer_card(producer_id: int) -> Response:
    """The producer's kiosk sign-in card, for the township office to print."""
    from traceability.kiosk.card import render_card_png

    principal = signed_in()
    session = get_session()
    producer = session.get(Producer, producer_id)
    if producer is None:
        raise NotFound("找不到该生产主体。", "No such producer.")
    policy.require(principal, "producer.card", producer.id)
    credential = session.get(ProducerCredential, producer_id)
    if credential is None:
        raise NotFound(
            "该生产主体还没有设置智能机密码（traceability kiosk set-pin）。",
            "This producer has no kiosk PIN yet (traceability kiosk set-pin).",
        )
    png = render_card_png(producer, credential, current_app.config["PUBLIC_BASE_URL"])
    return Response(png, mimetype="image/png")
