"""Secrets are generated into the instance folder, private to the owner, and stable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from traceability.config import NUMBERS, SettingError, load_settings
from traceability.working_days import ScheduleFileError


def test_secrets_are_created_with_mode_0600_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SIGNING_KEY_PASSPHRASE", raising=False)
    first = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    second = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    for name in ("secret_key", "signing_passphrase"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["SIGNING_KEY_PASSPHRASE"]) >= 32


def test_default_database_is_sqlite_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'traceability.db'}"


def test_environment_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://trace.example.cn/")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    settings = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    assert settings["PUBLIC_BASE_URL"] == "https://trace.example.cn"
    assert settings["RATELIMIT_ENABLED"] is False


def test_a_redis_limiter_storage_gets_short_timeouts_and_an_in_memory_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://10.0.0.9:6379")
    settings = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    assert settings["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }
    assert settings["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    assert "RATELIMIT_STORAGE_OPTIONS" not in load_settings({"TRACEABILITY_HOME": str(tmp_path)})


def test_lab_reports_are_limited_to_10_mb_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAB_REPORT_MAX_BYTES", raising=False)
    settings = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    assert settings["LAB_REPORT_MAX_BYTES"] == 10 * 1024 * 1024
    assert settings["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


def test_a_larger_lab_report_limit_makes_room_in_the_request_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Otherwise a file within the lab report limit would be cut off by the request's."""
    monkeypatch.setenv("LAB_REPORT_MAX_BYTES", str(30 * 1024 * 1024))
    settings = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    assert settings["LAB_REPORT_MAX_BYTES"] == 30 * 1024 * 1024
    assert settings["MAX_CONTENT_LENGTH"] == 31 * 1024 * 1024


def test_numeric_settings_default_to_numbers_of_their_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in NUMBERS:
        monkeypatch.delenv(name, raising=False)
    settings = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    assert settings["SCAN_RETENTION_DAYS"] == 730 and type(settings["SCAN_RETENTION_DAYS"]) is int
    assert settings["LOGIN_MAX_FAILURES"] == 5
    assert settings["SCAN_FLUSH_SECONDS"] == 1.0 and type(settings["SCAN_FLUSH_SECONDS"]) is float
    for name, rule in NUMBERS.items():
        assert type(settings[name]) is (int if rule.whole else float), name


def test_numeric_settings_are_read_from_the_environment_with_spaces_trimmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECORD_RETENTION_DAYS", " 1095 ")
    monkeypatch.setenv("SCAN_FLUSH_SECONDS", "0.5")
    monkeypatch.setenv("TRUSTED_PROXIES", "0")
    settings = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    assert settings["RECORD_RETENTION_DAYS"] == 1095
    assert settings["SCAN_FLUSH_SECONDS"] == 0.5
    assert settings["TRUSTED_PROXIES"] == 0


@pytest.mark.parametrize(
    ("name", "value", "says_zh", "says_en"),
    [
        ("SCAN_RETENTION_DAYS", "two years", "不小于 1 的整数（天）", "whole number of at least 1"),
        ("RECORD_RETENTION_DAYS", "0", "不小于 1 的整数（天）", "(days)"),
        ("LOGIN_MAX_FAILURES", "2.5", "不小于 1 的整数（次）", "whole number of at least 1"),
        ("LAB_REPORT_MAX_BYTES", "10MB", "整数（字节）", "(bytes)"),
        ("TRUSTED_PROXIES", "-1", "不小于 0 的整数", "whole number of at least 0"),
        ("SCAN_FLUSH_SECONDS", "-1", "不小于 0 的数（秒）", "a number of at least 0 (seconds)"),
        ("LOOKUP_CACHE_SECONDS", "nan", "不小于 0 的数（秒）", "a number of at least 0"),
        ("OFFLINE_REVOCATIONS_MAX_AGE_HOURS", "inf", "（小时）", "(hours)"),
        ("LOGIN_LOCKOUT_MINUTES", "", "不小于 1 的整数（分钟）", "(minutes)"),
    ],
)
def test_a_setting_that_is_not_a_usable_number_is_refused_by_name_in_both_languages(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    says_zh: str,
    says_en: str,
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError) as refused:
        load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    message = str(refused.value)
    assert f"设置 {name} 的值“{value}”无效" in message and says_zh in message
    assert f"Setting {name} is “{value}”" in message and says_en in message


@pytest.mark.parametrize("value", [-1, 0, 1.5, True, "many"])
def test_overrides_are_held_to_the_same_rules_as_the_environment(
    tmp_path: Path, value: object
) -> None:
    """A test cannot build an app that production would refuse."""
    with pytest.raises(SettingError, match="RECORD_RETENTION_DAYS"):
        load_settings({"TRACEABILITY_HOME": str(tmp_path), "RECORD_RETENTION_DAYS": value})


def test_a_whole_float_override_counts_as_a_whole_number(tmp_path: Path) -> None:
    settings = load_settings({"TRACEABILITY_HOME": str(tmp_path), "LOGIN_MAX_FAILURES": 3.0})
    assert settings["LOGIN_MAX_FAILURES"] == 3 and type(settings["LOGIN_MAX_FAILURES"]) is int


def test_a_bad_holiday_schedule_file_is_a_setting_error_too() -> None:
    """One `except SettingError` at start-up (cli, wsgi.py) covers the schedule file."""
    assert issubclass(ScheduleFileError, SettingError)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PUBLIC_BASE_URL", "trace.example.cn", "须为以 https:// 或 http:// 开头"),
        ("PUBLIC_BASE_URL", "ftp://trace.example.cn", "it is printed into every QR code"),
        ("PUBLIC_BASE_URL", "https:///trace", "https://trace.example.cn"),
        ("PUBLIC_BASE_URL", "https://trace.example.cn/?x=1", "without a query"),
        ("PUBLIC_BASE_URL", "https://trace.example.cn:443x", "https://trace.example.cn"),
        ("RATELIMIT_PUBLIC", "120 a minute", "如“120 per minute”"),
        ("RATELIMIT_STORAGE_URI", "redis//127.0.0.1:6379", "memory:// or redis://host:port"),
        ("RATELIMIT_STORAGE_URI", "async+redis://127.0.0.1:6379", "服务只安装了 Redis 的客户端"),
    ],
)
def test_a_text_setting_that_would_fail_later_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    """A base URL without scheme would be printed into every label's QR code; a limit or
    storage Flask-Limiter cannot use would turn every public lookup into a 500."""
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError) as refused:
        load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    message = str(refused.value)
    assert f"设置 {name} 的值“{value}”无效" in message and f"Setting {name} is “{value}”" in message
    assert says in message


def test_a_database_url_that_cannot_be_parsed_is_refused_without_repeating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It usually carries the database password: the message must not carry it on."""
    monkeypatch.setenv("DATABASE_URL", "postgres ql://trace:s3cret-pw@db/traceability")
    with pytest.raises(SettingError) as refused:
        load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    message = str(refused.value)
    assert "设置 DATABASE_URL 无效" in message and "postgresql+psycopg://" in message
    assert "s3cret-pw" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PUBLIC_BASE_URL", "https://zs.nync.example.gov.cn/trace"),
        ("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        ("RATELIMIT_PUBLIC", "120/minute;2000/day"),
        ("RATELIMIT_STORAGE_URI", "redis://10.0.0.9:6379/2"),
        ("RATELIMIT_STORAGE_URI", "memory://"),
        ("DATABASE_URL", "postgresql+psycopg://trace:pw@db.internal:5432/traceability"),
    ],
)
def test_usual_text_settings_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert load_settings({"TRACEABILITY_HOME": str(tmp_path)})[name] == value


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgres://trace:s3cret-pw@db/traceability", "s3cret-pw"),  # the Heroku spelling
        ("mysql://trace:s3cret-pw@db/traceability", "s3cret-pw"),
        ("postgresql+psycopg2://trace:s3cret-pw@db/traceability", "s3cret-pw"),  # no psycopg2
    ],
)
def test_a_database_the_service_has_no_driver_for_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, secret: str
) -> None:
    """SQLAlchemy parses these, then fails with a traceback at the first connection."""
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SettingError) as refused:
        load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    message = str(refused.value)
    assert "设置 DATABASE_URL 无效" in message and "postgresql+psycopg://" in message
    assert secret not in message


def test_plain_postgresql_urls_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They are served by psycopg (traceability.db.make_engine)."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://trace@/traceability")
    assert load_settings({"TRACEABILITY_HOME": str(tmp_path)})["DATABASE_URL"].startswith(
        "postgresql"
    )


@pytest.mark.parametrize(
    "uri", ["memcached://127.0.0.1:11211", "mongodb://127.0.0.1", "valkey://127.0.0.1:6379"]
)
def test_a_limiter_storage_without_its_client_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uri: str
) -> None:
    """limits knows these schemes, but without pymemcache, pymongo or valkey installed every
    command and every worker failed with a traceback."""
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", uri)
    with pytest.raises(SettingError, match="RATELIMIT_STORAGE_URI"):
        load_settings({"TRACEABILITY_HOME": str(tmp_path)})


def test_a_refused_limiter_storage_with_a_password_is_not_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis//:r3dis-pw@10.0.0.9:6379")
    with pytest.raises(SettingError) as refused:
        load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    assert "RATELIMIT_STORAGE_URI" in str(refused.value)
    assert "r3dis-pw" not in str(refused.value)


@pytest.mark.parametrize("secret", ["secret_key", "signing_passphrase", "pii_secret"])
def test_an_empty_secret_file_is_refused_naming_it_and_its_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    """An emptied file (a restore gone wrong) would sign sessions with nothing or seal
    nothing; it was taken as it was."""
    for name in ("SECRET_KEY", "SIGNING_KEY_PASSPHRASE", "PII_SECRET"):
        monkeypatch.delenv(name, raising=False)
    load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    (tmp_path / secret).write_text("\n", "utf-8")
    with pytest.raises(SettingError) as refused:
        load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    message = str(refused.value)
    setting = {"secret_key": "SECRET_KEY", "signing_passphrase": "SIGNING_KEY_PASSPHRASE"}
    assert str(tmp_path / secret) in message and setting.get(secret, "PII_SECRET") in message


def test_a_secret_file_that_cannot_be_read_is_a_setting_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when the instance folder belongs to root and the service user starts: the tests
    run as root, so the file is a folder here (reading it fails alike)."""
    monkeypatch.delenv("SIGNING_KEY_PASSPHRASE", raising=False)
    (tmp_path / "signing_passphrase").mkdir()
    with pytest.raises(SettingError) as refused:
        load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    message = str(refused.value)
    assert "signing_passphrase" in message and "SIGNING_KEY_PASSPHRASE" in message
    assert "TRACEABILITY_HOME" in message


def test_an_instance_folder_that_is_a_file_is_a_setting_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    home = tmp_path / "instance"
    home.write_text("", "utf-8")
    with pytest.raises(SettingError, match="TRACEABILITY_HOME"):
        load_settings({"TRACEABILITY_HOME": str(home)})
