"""Settings from the environment, with defaults that work for the embedded (SQLite) case.

Secrets are never in code or the repository: when they are not given in the
environment they are generated once into the instance folder with mode 0600.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TRUE_WORDS = {"1", "true", "yes", "on"}


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in TRUE_WORDS


def instance_home(overrides: Mapping[str, Any] | None = None) -> Path:
    """The instance folder: SQLite database, secrets, generated files."""
    if overrides and overrides.get("TRACEABILITY_HOME"):
        return Path(str(overrides["TRACEABILITY_HOME"])).resolve()
    return Path(os.environ.get("TRACEABILITY_HOME", "instance")).resolve()


def read_or_create_secret(home: Path, name: str, nbytes: int = 32) -> str:
    """Return the secret stored in `home/name`, creating it (mode 0600) when absent."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def load_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Collect the app's settings; explicit overrides win over the environment."""
    home = instance_home(overrides)
    settings: dict[str, Any] = {
        "TRACEABILITY_HOME": str(home),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{home / 'traceability.db'}"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_PUBLIC": os.environ.get("RATELIMIT_PUBLIC", "120 per minute"),
        "CJK_FONT": os.environ.get("TRACEABILITY_CJK_FONT", ""),
        # scans of public lookups are written in batches this often (0: in each request)
        "SCAN_FLUSH_SECONDS": float(os.environ.get("SCAN_FLUSH_SECONDS", "1")),
        # the State Council's holiday schedule for years chinesecalendar does not know yet
        "WORKING_DAYS_FILE": os.environ.get("WORKING_DAYS_FILE", ""),
        # public lookups keep certificate facts per worker this long (0: read them every time)
        "LOOKUP_CACHE_SECONDS": float(os.environ.get("LOOKUP_CACHE_SECONDS", "60")),
        # … and notice a revocation, key compromise or new rapid test within this time
        "LOOKUP_FRESHNESS_SECONDS": float(os.environ.get("LOOKUP_FRESHNESS_SECONDS", "1")),
        # anonymous GETs of /C/<code> are answered without Flask's request cycle (same bytes)
        "LOOKUP_FAST_PATH": _flag("LOOKUP_FAST_PATH", True),
        "RECORD_RETENTION_DAYS": int(os.environ.get("RECORD_RETENTION_DAYS", "730")),
        # scan events (one row per public scan) are kept this long for the per-code history;
        # the counts and places the lookup shows are kept for good
        "SCAN_RETENTION_DAYS": int(os.environ.get("SCAN_RETENTION_DAYS", "730")),
        # offline verdicts (intake page) call a revocation list older than this "to confirm"
        "OFFLINE_REVOCATIONS_MAX_AGE_HOURS": float(
            os.environ.get("OFFLINE_REVOCATIONS_MAX_AGE_HOURS", "24")
        ),
        # largest lab report file (PDF, JPEG, PNG) a test may carry, in bytes
        "LAB_REPORT_MAX_BYTES": int(os.environ.get("LAB_REPORT_MAX_BYTES", str(10 * 1024 * 1024))),
        # reverse proxies in front whose X-Forwarded-* headers are believed (web/reverse_proxy)
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_SUPPORTED_LOCALES": ["zh_CN", "en"],
        "WTF_CSRF_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "JSON_AS_ASCII": False,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")),
    }
    if overrides:
        settings.update(overrides)
    settings["TRACEABILITY_HOME"] = str(home)
    # a request must have room for the largest lab report and the form around it, or a
    # file within LAB_REPORT_MAX_BYTES would be cut off by the request limit first
    settings["MAX_CONTENT_LENGTH"] = max(
        int(settings["MAX_CONTENT_LENGTH"]), int(settings["LAB_REPORT_MAX_BYTES"]) + 1024 * 1024
    )
    # served over https (PUBLIC_BASE_URL says so): cookies never travel in clear text
    https = str(settings["PUBLIC_BASE_URL"]).startswith("https://")
    settings.setdefault("SESSION_COOKIE_SECURE", https)
    settings.setdefault("REMEMBER_COOKIE_SECURE", https)
    # a shared limiter storage that goes away must not take the service with it: the
    # decorated routes count in memory meanwhile (the lookup does the same, lookup_views),
    # and a dead Redis host costs a request half a second at most, not a TCP timeout
    settings.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if str(settings["RATELIMIT_STORAGE_URI"]).startswith(("redis://", "rediss://")):
        settings.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        )
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = os.environ.get("SECRET_KEY") or read_or_create_secret(
            home, "secret_key"
        )
    if not settings.get("SIGNING_KEY_PASSPHRASE"):
        settings["SIGNING_KEY_PASSPHRASE"] = os.environ.get(
            "SIGNING_KEY_PASSPHRASE"
        ) or read_or_create_secret(home, "signing_passphrase")
    if not settings.get("PII_SECRET"):
        # encrypts ID-card numbers in the producer registry (traceability.registry.pii)
        settings["PII_SECRET"] = os.environ.get("PII_SECRET") or read_or_create_secret(
            home, "pii_secret"
        )
    return settings
