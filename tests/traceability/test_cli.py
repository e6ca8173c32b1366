"""The command line: init is repeatable, demo loads once, outputs are scriptable."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlmodel import Session, select

from traceability import migrate
from traceability.cli import main
from traceability.models import Region, RegionLevel


@pytest.fixture
def runner_env(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("TRACEABILITY_HOME", str(tmp_path / "instance"))
    return CliRunner()


def test_init_twice_leaves_the_database_at_head(runner_env: CliRunner) -> None:
    for _ in range(2):
        result = runner_env.invoke(main, ["init", "--json"])
        assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["revision"] == migrate.head_revision()


def test_demo_json_reports_loaded_then_not_again(runner_env: CliRunner) -> None:
    runner_env.invoke(main, ["init"], catch_exceptions=False)
    first = json.loads(runner_env.invoke(main, ["demo", "--json"], catch_exceptions=False).output)
    second = json.loads(runner_env.invoke(main, ["demo", "--json"], catch_exceptions=False).output)
    assert first["loaded"] is True and first["producers"] == 5
    assert second["loaded"] is False


def test_db_downgrade_and_upgrade_commands(runner_env: CliRunner) -> None:
    runner_env.invoke(main, ["init"], catch_exceptions=False)
    runner_env.invoke(main, ["db", "downgrade", "base"], catch_exceptions=False)
    current = json.loads(runner_env.invoke(main, ["db", "current", "--json"]).output)
    assert current["revision"] is None
    runner_env.invoke(main, ["db", "upgrade"], catch_exceptions=False)
    current = json.loads(runner_env.invoke(main, ["db", "current", "--json"]).output)
    assert current["revision"] == current["head"]


def test_help_is_plain_words() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for command in ("init", "db", "demo", "serve"):
        assert command in result.output


def test_serve_refuses_to_start_without_a_cjk_font(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, PRINTERS_CJK_FONT=str(tmp_path / "no-such-font.ttf"),
               TRACEABILITY_HOME=str(tmp_path / "instance"))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "traceability", "serve", "--bind", "127.0.0.1:9"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "字体" in result.stderr and "font" in result.stderr


def test_a_township_supervisor_token_is_made_for_its_townships(runner_env: CliRunner) -> None:
    """By township id or 9-digit division code; a refusal is one line in both languages."""
    runner_env.invoke(main, ["init"], catch_exceptions=False)
    runner_env.invoke(main, ["demo"], catch_exceptions=False)
    base = ["token", "create", "--name", "t", "--role", "township_supervisor", "--json"]

    refused = runner_env.invoke(main, base)
    assert refused.exit_code == 1
    assert "乡镇监管员令牌须指定所管辖的乡镇" in refused.output
    assert "Traceback" not in refused.output and refused.exception is not None
    assert isinstance(refused.exception, SystemExit)

    engine = create_engine(os.environ["DATABASE_URL"])
    with Session(engine) as session:
        township = session.exec(select(Region).where(Region.level == RegionLevel.TOWNSHIP)).first()
        village = session.exec(select(Region).where(Region.level == RegionLevel.VILLAGE)).first()
    engine.dispose()
    assert township is not None and village is not None
    by_code = runner_env.invoke(main, [*base, "--township", township.code])
    assert by_code.exit_code == 0, by_code.output
    assert json.loads(by_code.output)["township_ids"] == [township.id]
    by_id = runner_env.invoke(main, [*base, "--township", str(township.id)])
    assert json.loads(by_id.output)["township_ids"] == [township.id]
    not_a_township = runner_env.invoke(main, [*base, "--township", str(village.id)])
    assert not_a_township.exit_code == 1 and "乡镇编号须存在" in not_a_township.output


def test_revoking_a_token_that_does_not_exist_says_so(runner_env: CliRunner) -> None:
    runner_env.invoke(main, ["init"], catch_exceptions=False)
    result = runner_env.invoke(main, ["token", "revoke", "999"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "999" in result.output or "令牌" in result.output


TOO_BIG = "2147483648"  # one past PostgreSQL's integer: no record can have it


@pytest.mark.parametrize(
    "args",
    [
        ["token", "revoke", TOO_BIG],
        ["token", "create", "--name", "t", "--producer-id", "99999999999999999999"],
        ["token", "create", "--name", "t", "--role", "market_inspector", "--market-id", "0"],
        ["issue", "--producer-id", TOO_BIG],
        ["issue", "--producer-id", "1", "--batch-id", "-3"],
        ["issue", "--producer-id", "1", "--test-id", "abc"],
        ["revoke", "--batch-id", TOO_BIG, "--reason", "r"],
        ["kiosk", "register", "--name", "k", "--township-id", TOO_BIG],
        ["kiosk", "set-pin", "--producer-id", TOO_BIG, "--pin-stdin"],
        ["kiosk", "card", "--producer-id", TOO_BIG, "--output", "card.png"],
        ["rolls", "create", "--count", "1", "--producer-id", TOO_BIG, "--output", "r.csv"],
        ["users", "create", "--username", "u", "--role", "producer", "--producer-id", TOO_BIG],
        ["tests", "attach", TOO_BIG, "pyproject.toml"],
    ],
    ids=lambda args: " ".join(a for a in args if not a.isdigit() and a != TOO_BIG)[:40],
)
def test_a_record_number_no_record_can_have_is_refused_in_one_line(
    runner_env: CliRunner, args: list[str]
) -> None:
    """Not a traceback from deep inside (PostgreSQL's 22003, or a 20-digit Python int)."""
    result = runner_env.invoke(main, args, input="123456\n")
    assert result.exit_code == 2, result.output
    assert "须为 1 至 2147483647 之间的整数" in result.output
    assert "must be a whole number from 1 to 2147483647" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("days", ["0", "3651", "100000000000"])
def test_a_token_lifetime_outside_the_accounts_page_s_range_is_refused(
    runner_env: CliRunner, days: str
) -> None:
    runner_env.invoke(main, ["init"], catch_exceptions=False)
    result = runner_env.invoke(main, ["token", "create", "--name", "t", "--days", days])
    assert result.exit_code == 2, result.output
    assert "1<=x<=3650" in result.output and "Traceback" not in result.output
