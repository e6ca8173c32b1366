"""Settings from the environment, with defaults that work for the embedded (SQLite) case.

Secrets are never in code or the repository: when they are not given in the
environment they are generated once into the instance folder with mode 0600.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
HOTLINE = re.compile(r"\+?[0-9][0-9 -]{1,18}[0-9]")


class SettingError(ValueError):
    """A setting that cannot be used; the message names it, its value and what it must be.

    Raised when the app is built, so an administrator's typo stops the service at once
    with one line to act on (the `traceability` commands and gunicorn.conf.py print it
    without a traceback) instead of failing later, or deleting records, with a value
    nobody meant.
    """


class Number(NamedTuple):
    """How a numeric setting is read: whole or not, its default, its lowest value, its unit."""

    whole: bool
    default: str
    low: int
    unit_zh: str
    unit_en: str


NUMBERS: dict[str, Number] = {
    # scans of public lookups are written in batches this often (0: in each request)
    "SCAN_FLUSH_SECONDS": Number(False, "1", 0, "秒", "seconds"),
    # public lookups keep certificate facts per worker this long (0: read them every time)
    "LOOKUP_CACHE_SECONDS": Number(False, "60", 0, "秒", "seconds"),
    # … and notice a revocation, key compromise or new rapid test within this time
    "LOOKUP_FRESHNESS_SECONDS": Number(False, "1", 0, "秒", "seconds"),
    # production records and the intake ledger are kept this long (two years); 0 would
    # make the nightly purge delete every line
    "RECORD_RETENTION_DAYS": Number(True, "730", 1, "天", "days"),
    # scan events (one row per public scan) are kept this long for the per-code history;
    # the counts and places the lookup shows are kept for good
    "SCAN_RETENTION_DAYS": Number(True, "730", 1, "天", "days"),
    # offline verdicts (intake page) call a revocation list older than this "to confirm"
    "OFFLINE_REVOCATIONS_MAX_AGE_HOURS": Number(False, "24", 0, "小时", "hours"),
    # most intake lines one ledger export (CSV/XLSX) holds; a search finding more is refused
    # with a request to narrow the dates, never cut short without saying so
    "INTAKE_EXPORT_MAX_LINES": Number(True, "200000", 1, "条", "lines"),
    # largest lab report file (PDF, JPEG, PNG) a test may carry
    "LAB_REPORT_MAX_BYTES": Number(True, str(10 * 1024 * 1024), 1, "字节", "bytes"),
    # reverse proxies in front whose X-Forwarded-* headers are believed (web/reverse_proxy)
    "TRUSTED_PROXIES": Number(True, "0", 0, "个", "proxies"),
    # failed sign-ins in a row that lock an account, and for how long
    "LOGIN_MAX_FAILURES": Number(True, "5", 1, "次", "failures"),
    "LOGIN_LOCKOUT_MINUTES": Number(True, "15", 1, "分钟", "minutes"),
}


def _parse(value: Any, whole: bool) -> int | float | None:
    """`value` as an int (`whole`) or a finite float; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number: int | float = value
    else:
        try:
            number = int(str(value).strip()) if whole else float(str(value).strip())
        except ValueError:
            return None
    if not math.isfinite(number) or (whole and not float(number).is_integer()):
        return None
    return int(number) if whole else float(number)


def number_setting(name: str, value: Any) -> int | float:
    """`value` of setting `name` as NUMBERS says, or a SettingError naming it.

    Strings come from the environment, numbers from `create_app`'s overrides; both are
    checked alike, so a test cannot build an app that production would refuse.
    """
    rule = NUMBERS[name]
    number = _parse(value, rule.whole)
    if number is None or number < rule.low:
        kind_zh, kind_en = ("整数", "whole number") if rule.whole else ("数", "number")
        raise _refuse(
            name,
            str(value),
            f"须为不小于 {rule.low} 的{kind_zh}（{rule.unit_zh}）。",
            f"it must be a {kind_en} of at least {rule.low} ({rule.unit_en}).",
        )
    return number


def _refuse(name: str, shown: str | None, must_zh: str, must_en: str) -> SettingError:
    """The refusal of setting `name`; `shown` None keeps its value out of the message."""
    if shown is None:
        return SettingError(
            f"设置 {name} 无效（其值可能含密码，此处不显示）：{must_zh}"
            f" / Setting {name} is not valid (its value may hold a password, so it is not"
            f" shown): {must_en}"
        )
    return SettingError(
        f"设置 {name} 的值“{shown}”无效：{must_zh} / Setting {name} is “{shown}”: {must_en}"
    )


# the limiter storages whose client is installed with the service (redis, pyproject.toml);
# limits knows more (memcached, MongoDB, valkey) but would fail on every request without
# their client
STORAGE_SCHEMES = {"memory", "redis", "rediss", "redis+unix", "redis+cluster", "redis+sentinel"}
# the databases the service runs on, with the drivers it installs (plain postgresql means
# psycopg: traceability.db.make_engine); postgres://, mysql:// … would fail with a traceback
DATABASE_DRIVERS = {"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"}


def _web_address(text: str) -> bool:
    """An http(s) address with a host (and a port that is a number), no query, no spaces."""
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not parts.query
        and not parts.fragment
        and not any(c.isspace() for c in text)
    )


def check_texts(settings: Mapping[str, Any]) -> None:
    """Refuse the text settings that would fail later, where nobody would see why.

    A base URL without its scheme would be printed into every QR code of every label
    (phones do not open "trace.example.cn/C/…"); a limit Flask-Limiter cannot parse, or a
    storage whose client is not installed, would answer every public lookup with a 500; a
    database URL that is not SQLite or PostgreSQL (psycopg) would fail with a traceback.
    The database URL is never repeated in the message, nor a storage URL with credentials:
    they usually carry a password.
    """
    from limits import parse_many
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    hotline = str(settings["REPORT_HOTLINE"])
    if not HOTLINE.fullmatch(hotline):
        raise _refuse(
            "REPORT_HOTLINE",
            hotline,
            "须为电话号码（数字，可含 +、- 和空格），如 12315 或 0379-12345678。",
            "it must be a phone number (digits, with + - or spaces), e.g. 12315 or 0379-12345678.",
        )
    base = str(settings["PUBLIC_BASE_URL"])
    if not _web_address(base):
        raise _refuse(
            "PUBLIC_BASE_URL",
            base,
            "须为以 https:// 或 http:// 开头、不带查询参数的网址（如 https://trace.example.cn），"
            "它会印进每个二维码。",
            "it must be a web address starting with https:// or http://, without a query"
            " (e.g. https://trace.example.cn); it is printed into every QR code.",
        )
    limit = str(settings["RATELIMIT_PUBLIC"])
    try:
        parse_many(limit)
    except ValueError:
        raise _refuse(
            "RATELIMIT_PUBLIC",
            limit,
            "须为限流规则，如“120 per minute”或“120/minute;2000/day”。",
            "it must be a rate limit such as “120 per minute” or “120/minute;2000/day”.",
        ) from None
    storage = str(settings["RATELIMIT_STORAGE_URI"])
    scheme = urlsplit(storage).scheme
    if scheme not in STORAGE_SCHEMES:
        raise _refuse(
            "RATELIMIT_STORAGE_URI",
            None if "@" in storage else storage,  # redis://:password@host says no more
            "须为 memory:// 或 redis://主机:端口（服务只安装了 Redis 的客户端）。",
            "it must be memory:// or redis://host:port (Redis is the one shared storage whose"
            " client the service installs).",
        )
    try:
        driver = make_url(str(settings["DATABASE_URL"])).drivername
    except ArgumentError:
        driver = ""
    if driver not in DATABASE_DRIVERS:
        raise _refuse(
            "DATABASE_URL",
            None,
            "须为 SQLite 或 PostgreSQL 数据库地址，如 sqlite:////路径/traceability.db 或"
            " postgresql+psycopg://用户:密码@主机/库名（postgres:// 须写作 postgresql+psycopg://）。",
            "it must be a SQLite or PostgreSQL database URL such as"
            " sqlite:////path/traceability.db or postgresql+psycopg://user:password@host/dbname"
            " (write postgres:// as postgresql+psycopg://).",
        )


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


def read_or_create_secret(home: Path, name: str, setting: str, nbytes: int = 32) -> str:
    """Return the secret stored in `home/name`, creating it (mode 0600) when absent.

    A file that cannot be read or written (another owner, a read-only folder) or that is
    empty is a SettingError naming the file and `setting`, the variable that replaces it:
    an empty secret would sign sessions with nothing, or fail every signature later.
    """
    path = home / name
    try:
        home.mkdir(parents=True, exist_ok=True)
        if path.exists():
            value = path.read_text(encoding="utf-8").strip()
            if not value:
                raise SettingError(
                    f"密钥文件 {path} 为空：请从备份恢复它，或在设置中给出 {setting}。"
                    f" / The secret file {path} is empty: restore it from the backup, or set"
                    f" {setting}."
                )
            return value
        value = secrets.token_urlsafe(nbytes)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        return value
    except OSError as exc:
        raise SettingError(
            f"无法读写密钥文件 {path}（{exc.strerror}）：请以服务用户运行并检查 TRACEABILITY_HOME"
            f" 的属主与权限，或在设置中给出 {setting}。 / Cannot read or write the secret file"
            f" {path} ({exc.strerror}): run as the service user and check the owner and mode"
            f" of TRACEABILITY_HOME, or set {setting}."
        ) from None


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
        # the number the public lookup gives a shopper holding a revoked, forged or copied
        # label: 12315, the market regulators' national complaint line, unless the county
        # names its own
        "REPORT_HOTLINE": os.environ.get("REPORT_HOTLINE", "12315").strip(),
        # the State Council's holiday schedule for years chinesecalendar does not know yet
        "WORKING_DAYS_FILE": os.environ.get("WORKING_DAYS_FILE", ""),
        # anonymous GETs of /C/<code> are answered without Flask's request cycle (same bytes)
        "LOOKUP_FAST_PATH": _flag("LOOKUP_FAST_PATH", True),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_SUPPORTED_LOCALES": ["zh_CN", "en"],
        "WTF_CSRF_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "JSON_AS_ASCII": False,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    }
    for name, rule in NUMBERS.items():
        settings[name] = os.environ.get(name, rule.default)
    if overrides:
        settings.update(overrides)
    for name in NUMBERS:
        settings[name] = number_setting(name, settings[name])
    check_texts(settings)
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
            home, "secret_key", "SECRET_KEY"
        )
    if not settings.get("SIGNING_KEY_PASSPHRASE"):
        settings["SIGNING_KEY_PASSPHRASE"] = os.environ.get(
            "SIGNING_KEY_PASSPHRASE"
        ) or read_or_create_secret(home, "signing_passphrase", "SIGNING_KEY_PASSPHRASE")
    if not settings.get("PII_SECRET"):
        # encrypts ID-card numbers in the producer registry (traceability.registry.pii)
        settings["PII_SECRET"] = os.environ.get("PII_SECRET") or read_or_create_secret(
            home, "pii_secret", "PII_SECRET"
        )
    return settings
