"""The systemd units in deploy/systemd load cleanly (`systemd-analyze verify`) and start
commands that exist with arguments they accept; the purge unit's command really purges."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/traceability"  # where docs/deployment.md puts the checkout
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


def _units_here(tmp_path: Path) -> list[Path]:
    """The units with the install path pointed at this checkout, so executables exist."""
    copies = []
    for unit in sorted(UNITS.iterdir()):
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text("utf-8").replace(INSTALLED, str(ROOT)), "utf-8")
        copies.append(copy)
    return copies


def _exec_start(unit: str) -> list[str]:
    """ExecStart= of a unit, continuation lines joined, as an argument list."""
    text = (UNITS / unit).read_text("utf-8").replace("\\\n", " ")
    (line,) = [ln for ln in text.splitlines() if ln.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_every_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    units = _units_here(tmp_path)
    assert {u.name for u in units} >= {
        "traceability.service",
        "traceability-intake-purge.service",
        "traceability-intake-purge.timer",
        "traceability-scans-purge.service",
        "traceability-scans-purge.timer",
        "traceability-kiosk.service",
    }
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    # unknown keys and bad values are only warnings for systemd: none allowed here
    assert result.stderr.strip() == "", result.stderr


def test_units_start_this_projects_own_commands() -> None:
    for unit, program in (
        ("traceability.service", "traceability"),
        ("traceability-intake-purge.service", "traceability"),
        ("traceability-scans-purge.service", "traceability"),
        ("traceability-kiosk.service", "traceability-kiosk"),
    ):
        argv = _exec_start(unit)
        assert argv[0] == f"{INSTALLED}/.venv/bin/{program}", unit


def test_the_service_unit_serves_with_arguments_serve_accepts() -> None:
    from traceability.cli import serve

    argv = _exec_start("traceability.service")
    assert argv[1] == "serve"
    context = serve.make_context("serve", argv[2:])
    assert context.params["bind"] == "127.0.0.1:8000"


def test_the_kiosk_unit_passes_arguments_the_agent_accepts() -> None:
    from printers.agent.cli import parser

    options = parser().parse_args(_exec_start("traceability-kiosk.service")[1:])
    assert options.local_port == 8765 and options.printer.startswith("tcp://")


def test_the_purge_unit_runs_the_purge(tmp_path: Path) -> None:
    argv = _exec_start("traceability-intake-purge.service")
    assert argv[1:] == ["intake", "purge"]
    env = {**os.environ, "TRACEABILITY_HOME": str(tmp_path / "instance")}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "traceability"]
    subprocess.run([*command, "init"], env=env, cwd=ROOT, check=True, capture_output=True)
    result = subprocess.run(
        [*command, *argv[1:]], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "deleted 0 record(s) older than 730 days" in result.stdout


def test_the_scans_purge_unit_runs_the_command_its_test_runs() -> None:
    """tests/traceability/lookup/test_scan_retention.py runs `scans purge` for real."""
    assert _exec_start("traceability-scans-purge.service")[1:] == ["scans", "purge"]


@pytest.mark.parametrize(
    "unit",
    [
        "traceability.service",
        "traceability-intake-purge.service",
        "traceability-scans-purge.service",
    ],
)
def test_server_units_read_settings_from_a_root_only_file_and_are_confined(unit: str) -> None:
    text = (UNITS / unit).read_text("utf-8")
    assert "EnvironmentFile=/etc/traceability/env" in text
    for line in ("User=traceability", "NoNewPrivileges=true", "ProtectSystem=strict"):
        assert line in text, (unit, line)
