"""Blueprints: health, home (public pages), and more as the service grows."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from traceability.beijing_time import DAY, MINUTES, SECONDS, format_beijing
from traceability.issuing.templates import english_wording
from traceability.lookup.service import mask_phone


def register_blueprints(app: Flask) -> None:
    from traceability.compliance import api as compliance_api
    from traceability.compliance import views as compliance_views
    from traceability.intake import api as intake_api
    from traceability.intake import views as intake_views
    from traceability.registry import api as registry_api
    from traceability.supervision import views as supervision_views
    from traceability.web import (
        admin,
        api,
        auth_views,
        health,
        home,
        kiosk_api,
        kiosk_screen,
        lookup_views,
        navigation,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(lookup_views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(kiosk_api.bp)
    app.register_blueprint(kiosk_screen.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(intake_api.bp)
    app.register_blueprint(intake_views.bp)
    app.register_blueprint(compliance_api.bp)
    app.register_blueprint(compliance_views.bp)
    app.register_blueprint(registry_api.bp)
    app.register_blueprint(supervision_views.bp)
    navigation.init_app(app)
    app.jinja_env.globals["kind_label"] = kind_label
    app.jinja_env.globals["mask_phone"] = mask_phone
    app.jinja_env.globals["english_wording"] = english_wording
    # where a shopper reports a revoked, forged or copied label (REPORT_HOTLINE)
    app.jinja_env.globals["report_hotline"] = app.config["REPORT_HOTLINE"]
    app.jinja_env.filters["beijing_time"] = beijing_time


def beijing_time(moment: datetime | None, *, seconds: bool = False, date_only: bool = False) -> str:
    """Pages print every stored instant on Beijing's clock (`traceability.beijing_time`)."""
    pattern = DAY if date_only else SECONDS if seconds else MINUTES
    return format_beijing(moment, pattern)


def kind_label(kind: str) -> str:
    """The producer kind in the page's language."""
    from flask_babel import gettext

    from traceability.models.producer import PRODUCER_KIND_ZH, ProducerKind

    try:
        member = ProducerKind(kind)
    except ValueError:
        return kind
    return gettext(PRODUCER_KIND_ZH[member])
