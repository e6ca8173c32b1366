"""Secrets are generated into the instance folder, private to the owner, and stable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from traceability.config import load_settings


def test_secrets_are_created_with_mode_0600_and_reused(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SIGNING_KEY_PASSPHRASE", raising=False)
    first = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    second = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    for name in ("secret_key", "signing_passphrase"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["SIGNING_KEY_PASSPHRASE"]) >= 32


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings({"TRACEABILITY_HOME": str(tmp_path)})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'traceability.db'}"


def test_environment_overrides_defaults(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
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
