"""Bring an instance to a runnable state; safe to run again and again."""

from __future__ import annotations

from typing import Any

from flask import Flask

from traceability import migrate
from traceability.db import get_engine
from traceability.errors import DomainError


class PiiSecretUnusable(DomainError):
    """PII_SECRET does not open the ID numbers stored in the database."""

    status = 503
    code = "pii_secret_unusable"


def ensure_ready(app: Flask) -> dict[str, Any]:
    """Instance folder and secrets (made by config), schema at head, a signing key."""
    migrate.upgrade(app.config["DATABASE_URL"], "head")
    engine = get_engine(app)
    report: dict[str, Any] = {
        "home": app.config["TRACEABILITY_HOME"],
        "database": engine.url.render_as_string(hide_password=True),
        "revision": migrate.current_revision(engine),
    }
    for hook in READY_HOOKS:
        report.update(hook(app))
    return report


def check_secrets(app: Flask) -> None:
    """Refuse settings whose secrets do not open what the database holds.

    A database restored beside another settings file (or a mistyped passphrase) would
    otherwise serve lookups and fail every signature (issuing, signed answers, the
    revocation list) or every stored ID number, long after the start looked fine.
    Raises a DomainError that names the setting; never shows a secret.
    """
    from sqlmodel import col, select

    from traceability import keystore
    from traceability.db import session_scope
    from traceability.models import Producer
    from traceability.registry.pii import IdNumberVault

    with session_scope(get_engine(app)) as session:
        keystore.check_active_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
        stored = session.exec(
            select(Producer.id_number_encrypted)
            .where(col(Producer.id_number_encrypted).is_not(None))
            .limit(1)
        ).first()
    if stored:
        try:
            IdNumberVault.from_config(app.config).decrypt(stored)
        except Exception:  # InvalidTag, or a value it cannot parse: the secret does not fit
            raise PiiSecretUnusable(
                "PII_SECRET 无法解开数据库中的身份证号：请使用与此数据库配套的设置文件"
                "（恢复备份时一并恢复）。",
                "PII_SECRET does not open the ID numbers in this database: use the settings"
                " file that belongs to this database (restore it with the backup).",
            ) from None


def _ensure_signing_key(app: Flask) -> dict[str, Any]:
    from traceability import keystore
    from traceability.db import session_scope

    check_secrets(app)
    with session_scope(get_engine(app)) as session:
        record = keystore.ensure_active_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
        return {"kid": record.kid}


READY_HOOKS: list[Any] = [_ensure_signing_key]
