"""Offline verdicts say when the revocation list they used is out of date."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask.testing import FlaskClient

from traceability.cli import main as cli_main
from traceability.codes.freshness import freshness

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def test_a_list_fetched_within_the_grace_period_is_current() -> None:
    fresh = freshness(7, NOW - timedelta(hours=23), now=NOW)
    assert fresh.current and fresh.warning() is None
    assert fresh.to_dict()["age_hours"] == 23.0


def test_an_older_list_warns_in_both_languages_with_its_age() -> None:
    old = freshness(7, NOW - timedelta(hours=30), now=NOW, max_age=timedelta(hours=24))
    assert not old.current
    zh, en = old.warning()  # type: ignore[misc]
    assert "30 小时" in zh and "24 小时" in zh and "30 h old" in en


def test_no_list_at_all_is_never_current() -> None:
    none = freshness(None, None, now=NOW)
    assert not none.current and "未提供撤销列表" in none.warning()[0]  # type: ignore[index]


def _saved(client: FlaskClient, tmp_path: Path, hours_ago: float) -> tuple[Path, Path]:
    keys = tmp_path / "jwks.json"
    keys.write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    revocations = tmp_path / "revocations.jws"
    revocations.write_text(client.get("/.well-known/revocations.jws").get_data(as_text=True))
    saved = time.time() - hours_ago * 3600
    os.utime(revocations, (saved, saved))
    return keys, revocations


def _verify(text: str, keys: Path, revocations: Path | None, *extra: str) -> Any:
    args = ["verify", text, "--keys", str(keys), "--json", *extra]
    if revocations is not None:
        args += ["--revocations", str(revocations)]
    return CliRunner().invoke(cli_main, args)


def _genuine(demo: dict[str, Any]) -> str:
    return str(next(c["url"] for c in demo["codes"] if c["status"] == "valid"))


def test_verify_with_a_current_list_exits_0(
    client: FlaskClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    keys, revocations = _saved(client, tmp_path, hours_ago=1)
    result = _verify(_genuine(demo), keys, revocations)
    answer = json.loads(result.stdout)
    assert result.exit_code == 0 and answer["status"] == "genuine"
    assert answer["revocations"]["current"] is True and answer["revocations"]["version"] >= 1


def test_verify_with_an_old_list_says_genuine_signature_but_exits_2_with_a_warning(
    client: FlaskClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    keys, revocations = _saved(client, tmp_path, hours_ago=50)
    result = _verify(_genuine(demo), keys, revocations)
    answer = json.loads(result.stdout)
    assert result.exit_code == 2
    assert answer["status"] == "genuine" and answer["revocations"]["current"] is False
    assert "结果待联网确认" in result.stderr and "confirm online" in result.stderr
    longer = _verify(_genuine(demo), keys, revocations, "--max-age", "72")
    assert longer.exit_code == 0  # a longer grace period, set by the user


def test_verify_without_a_list_exits_2_and_a_revoked_code_still_exits_1(
    client: FlaskClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    keys, revocations = _saved(client, tmp_path, hours_ago=50)
    without = _verify(_genuine(demo), keys, None)
    assert without.exit_code == 2 and "未提供撤销列表" in without.stderr
    revoked = next(c["url"] for c in demo["codes"] if c["status"] == "revoked")
    old_list = _verify(revoked, keys, revocations)
    assert old_list.exit_code == 1 and json.loads(old_list.stdout)["status"] == "revoked"
    assert old_list.stderr == ""  # not genuine whatever the list's age: no warning needed
