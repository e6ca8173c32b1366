"""Blueprints: health, home (public pages), and more as the service grows."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from traceability.web import health, home

    app.register_blueprint(health.bp)
    app.register_blueprint(home.bp)
    app.jinja_env.globals["kind_label"] = kind_label


def kind_label(kind: str) -> str:
    """The producer kind in the page's language."""
    from flask_babel import get_locale

    from traceability.models.producer import PRODUCER_KIND_ZH, ProducerKind

    try:
        member = ProducerKind(kind)
    except ValueError:
        return kind
    if str(get_locale()) == "en":
        return member.value.replace("_", " ")
    return PRODUCER_KIND_ZH[member]
