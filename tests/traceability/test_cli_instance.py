"""An administrator's set-up, as the deployment guide has it: secrets that do not fit the
database are refused in one line (never a traceback, never a key sealed with them),
refusals of the key commands are one line too, and the demo never lands on real data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from traceability.cli import main

PASSPHRASE = "the-right-passphrase-0123456789"
WRONG = "a-passphrase-from-another-instance"


@pytest.fixture
def runner_env(
    empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("TRACEABILITY_HOME", str(tmp_path / "instance"))
    monkeypatch.setenv("SIGNING_KEY_PASSPHRASE", PASSPHRASE)
    return CliRunner()


def _run(runner: CliRunner, *args: str, passphrase: str = PASSPHRASE, stdin: str = "") -> Result:
    return runner.invoke(main, list(args), input=stdin, env={"SIGNING_KEY_PASSPHRASE": passphrase})


def _refused_in_one_line(result: Result, *says: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for word in says:
        assert word in lines[0]


def _keys(runner: CliRunner) -> list[dict[str, str]]:
    keys: list[dict[str, str]] = json.loads(_run(runner, "keys", "list", "--json").output)
    return keys


def test_init_with_a_passphrase_that_does_not_open_the_key_is_refused(
    runner_env: CliRunner,
) -> None:
    """A restore beside another settings file: `init` would report ready a service that
    cannot sign one certificate, revocation list or lookup answer."""
    assert _run(runner_env, "init").exit_code == 0
    result = _run(runner_env, "init", passphrase=WRONG)
    _refused_in_one_line(result, "SIGNING_KEY_PASSPHRASE", "does not open signing key")
    assert WRONG not in result.output and PASSPHRASE not in result.output
    assert _run(runner_env, "init").exit_code == 0  # the right file: ready again


def test_rotating_with_the_wrong_passphrase_makes_no_key(runner_env: CliRunner) -> None:
    """Else the new key would be sealed with the wrong passphrase: with the right one back
    in place, the active key could not be opened by any setting."""
    _run(runner_env, "init")
    before = _keys(runner_env)
    _refused_in_one_line(
        _run(runner_env, "keys", "rotate", passphrase=WRONG), "SIGNING_KEY_PASSPHRASE"
    )
    assert _keys(runner_env) == before
    assert _run(runner_env, "keys", "rotate").exit_code == 0
    assert [k["status"] for k in _keys(runner_env)] == ["retired", "active"]


def test_a_lost_passphrase_is_replaced_by_retiring_then_rotating(runner_env: CliRunner) -> None:
    """The way docs/deployment.md gives: retire needs no passphrase, rotate then seals the
    new key with the new one."""
    _run(runner_env, "init")
    (old,) = _keys(runner_env)
    assert _run(runner_env, "keys", "retire", old["kid"], passphrase=WRONG).exit_code == 0
    assert _run(runner_env, "keys", "rotate", passphrase=WRONG).exit_code == 0
    assert _run(runner_env, "init", passphrase=WRONG).exit_code == 0


def test_issuing_with_the_wrong_passphrase_says_so_in_one_line(runner_env: CliRunner) -> None:
    _run(runner_env, "init")
    _run(runner_env, "demo")
    result = _run(
        runner_env,
        "issue", "--producer-id", "1", "--batch-id", "1", "--basis", "quality_control",
        "--confirm-signature",
        passphrase=WRONG,
    )  # fmt: skip
    _refused_in_one_line(result, "SIGNING_KEY_PASSPHRASE")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["keys", "retire", "NOPE"], "No key with id NOPE"),
        (["keys", "compromised", "NOPE", "--since", "2026-11-01T00:00:00+08:00"], "NOPE"),
    ],
)
def test_key_commands_refuse_an_unknown_key_in_one_line(
    runner_env: CliRunner, args: list[str], says: str
) -> None:
    _run(runner_env, "init")
    _refused_in_one_line(_run(runner_env, *args), says)


def test_a_compromise_time_that_is_not_one_is_a_usage_error(runner_env: CliRunner) -> None:
    _run(runner_env, "init")
    (key,) = _keys(runner_env)
    result = _run(runner_env, "keys", "compromised", key["kid"], "--since", "yesterday")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--since" in result.output and "+08:00" in result.output
    assert _keys(runner_env)[0]["status"] == "active"


def test_the_demo_never_loads_beside_real_accounts(runner_env: CliRunner) -> None:
    """A county that made its admin account first (no divisions yet) must not get the
    demo's county_admin with its printed password, nor PIN 123456 on its producers."""
    _run(runner_env, "init")
    made = _run(
        runner_env,
        "users", "create", "--username", "bureau", "--role", "county_admin", "--password-stdin",
        stdin="a-real-password-2026\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    report = json.loads(_run(runner_env, "demo", "--json").output)
    assert report["loaded"] is False
    users = json.loads(_run(runner_env, "users", "list", "--json").output)
    assert [u["username"] for u in users] == ["bureau"]


def _producer_with_id_number(runner: CliRunner, tmp_path: Path) -> None:
    number = "11010519491231002X"
    sheet = tmp_path / "producers.csv"
    sheet.write_text(
        f"主体类型,名称,身份证号,联系电话,地址\n散户,王秀兰,{number},13612345671,某村\n", "utf-8"
    )
    result = _run(runner, "producers", "import", str(sheet))
    assert result.exit_code == 0, result.output


def test_init_refuses_a_pii_secret_that_does_not_open_the_stored_id_numbers(
    runner_env: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else editing a smallholder fails and duplicates slip past the digest."""
    monkeypatch.setenv("PII_SECRET", "the-pii-secret-of-this-instance")
    _run(runner_env, "init")
    _producer_with_id_number(runner_env, tmp_path)
    monkeypatch.setenv("PII_SECRET", "another-instances-pii-secret")
    result = _run(runner_env, "init")
    _refused_in_one_line(result, "PII_SECRET", "ID numbers")
    assert "another-instances-pii-secret" not in result.output


def test_serve_refuses_a_passphrase_that_does_not_open_the_key(
    runner_env: CliRunner, empty_database_url: str, tmp_path: Path
) -> None:
    """The unit's `serve` stops with the line in the journal, not half-configured (every
    lookup's signed answer and the revocation list would be a 500)."""
    _run(runner_env, "init")
    env = dict(
        os.environ,
        DATABASE_URL=empty_database_url,
        TRACEABILITY_HOME=str(tmp_path / "instance"),
        SIGNING_KEY_PASSPHRASE=WRONG,
    )
    result = subprocess.run(
        [sys.executable, "-m", "traceability", "serve", "--bind", "127.0.0.1:9"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "SIGNING_KEY_PASSPHRASE" in result.stderr and "Traceback" not in result.stderr
    assert "serving on" not in result.stdout


def test_the_private_keys_are_stored_encrypted(
    runner_env: CliRunner, empty_database_url: str
) -> None:
    _run(runner_env, "init")
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            (stored,) = connection.execute(text("SELECT private_key_encrypted FROM signing_key"))
    finally:
        engine.dispose()
    assert bytes(stored[0]).startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
