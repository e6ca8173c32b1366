"""The kiosk agent, a real process, against the service under gunicorn and a fake TCP printer.

Prints exactly once: across an agent crash between printing and acknowledging, a
server outage, and a printer that runs out of paper.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import zxingcpp

from printers.testing import FakePrinter
from tests.e2e.server import ROOT, RunningServer, free_port, gunicorn_server, traceability_cli
from tests.printers.decoders import tspl, zpl

JOB_RE = re.compile(rb"SIZE [^\r]*\r\n.*?\r\nPRINT \d+(?:,\d+)?\r\n", re.S)


def api(
    server: RunningServer, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> Any:
    request = urllib.request.Request(
        server.base_url + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def label_jobs(received: bytes) -> list[bytes]:
    return JOB_RE.findall(received)


def delivered_jobs(printer: FakePrinter, expected: int, timeout: float = 10) -> list[bytes]:
    """The label jobs the printer holds once `expected` of them arrived (or `timeout` passed).

    The agent exits once its bytes are in the socket; the printer's thread reads them a
    moment later, so reading `printer.received` at once can miss the last label.
    """
    printer.wait_for(lambda p: len(label_jobs(p.received)) >= expected, timeout=timeout)
    return label_jobs(printer.received)


@pytest.fixture
def kiosk(empty_database_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A running service with demo data, an admin token and a registered terminal."""
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        traceability_cli(server.env, "demo")
        token = json.loads(
            traceability_cli(
                server.env, "token", "create", "--name", "admin", "--role", "county_admin", "--json"
            ).stdout
        )["token"]
        terminal = api(
            server,
            "POST",
            "/api/v1/terminals",
            token,
            {
                "name": "清河镇合格证智能机",
                "driver": "tspl",
            },
        )
        yield {
            "server": server,
            "token": token,
            "terminal": terminal,
            "tmp": tmp_path,
            "db": empty_database_url,
        }


def issue_and_queue(kiosk: dict[str, Any], items: int = 2) -> tuple[dict[str, Any], str]:
    server, token = kiosk["server"], kiosk["token"]
    issued = api(server, "POST", "/api/v1/certificates", token,
                 {"producer_id": 1, "batch_id": 1, "items": items, "basis": ["quality_control"], "signature_confirmed": True})  # fmt: skip
    job = api(server, "POST", f"/api/v1/terminals/{kiosk['terminal']['id']}/jobs", token,
              {"certificate": issued["certificate"]["number"]})  # fmt: skip
    return issued, job["id"]


def agent_args(
    kiosk: dict[str, Any],
    printer: FakePrinter,
    *extra: str,
    server_url: str | None = None,
    driver: str | None = "tspl",
) -> list[str]:
    tmp: Path = kiosk["tmp"]
    args = [
        sys.executable, "-m", "printers.agent.cli",
        "--server", server_url or kiosk["server"].base_url,
        "--credential", str(tmp / "credential"),
        "--printer", printer.url,
        "--journal", str(tmp / "journal.db"),
        "--poll", "0.2", "--heartbeat", "0.5",
    ]  # fmt: skip
    if driver is not None:
        args += ["--driver", driver]
    if not (tmp / "credential").exists():
        args += ["--enrol", kiosk["terminal"]["enrolment_code"]]
    return args + list(extra)


def run_agent(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@contextmanager
def background_agent(args: list[str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until(predicate: Callable[[], object], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def job_state(kiosk: dict[str, Any], job_id: str) -> dict[str, Any]:
    return api(kiosk["server"], "GET", f"/api/v1/print-jobs/{job_id}", kiosk["token"])


def test_agent_prints_a_queued_job_whose_qr_reads_genuine(kiosk: dict[str, Any]) -> None:
    issued, job_id = issue_and_queue(kiosk, items=2)
    with FakePrinter("tspl") as printer:
        result = run_agent(agent_args(kiosk, printer, "--until-idle"))
        jobs = delivered_jobs(printer, 3)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(jobs) == 3  # the full certificate and two item labels
    image = tspl.decode(jobs[1]).image
    decoded = [
        r.text
        for r in zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    ]
    assert decoded == [issued["items"][0]["url"]]
    path = "/C/" + decoded[0].split("/C/", 1)[1]
    request = urllib.request.Request(
        kiosk["server"].base_url + path, headers={"Accept": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["verdict"]["status"] == "genuine"
    assert job_state(kiosk, job_id)["state"] == "printed"
    assert (kiosk["tmp"] / "credential").stat().st_mode & 0o777 == 0o600


def test_agent_killed_between_printing_and_acknowledging_prints_once(kiosk: dict[str, Any]) -> None:
    _, job_id = issue_and_queue(kiosk, items=1)
    with FakePrinter("tspl") as printer:
        crashed = run_agent(agent_args(kiosk, printer, "--until-idle", "--crash-after-print"))
        assert crashed.returncode == 3, crashed.stdout + crashed.stderr
        after_crash = len(delivered_jobs(printer, 2))
        assert job_state(kiosk, job_id)["state"] == "claimed"
        restarted = run_agent(agent_args(kiosk, printer, "--until-idle"))
        # the agent has exited: a reprint would be in the socket already; none must be
        after_restart = len(delivered_jobs(printer, 3, timeout=2))
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert after_crash == 2 and after_restart == 2  # certificate + 1 item, once
    assert job_state(kiosk, job_id)["state"] == "printed"


def test_jobs_print_when_the_server_returns(kiosk: dict[str, Any], empty_database_url: str) -> None:
    _, job_id = issue_and_queue(kiosk, items=1)
    server: RunningServer = kiosk["server"]
    # The server goes away: the agent polls a port where nothing listens yet.
    down_port = free_port()
    with FakePrinter("tspl") as printer:
        enrolled = run_agent(agent_args(kiosk, printer, "--enrol-only"))
        assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
        with background_agent(
            agent_args(kiosk, printer, server_url=f"http://127.0.0.1:{down_port}")
        ) as agent:
            time.sleep(1.5)
            assert agent.poll() is None, "the agent must survive a server outage"
            assert printer.jobs == 0
            env = dict(server.env)
            with gunicorn_server(
                empty_database_url, Path(env["TRACEABILITY_HOME"]), port=down_port
            ):
                assert wait_until(lambda: printer.jobs == 2, 45), printer.received[:200]
                # the acknowledgement follows the bytes: wait for it while this server is up
                # (under load it can come after the printer has the labels)
                printed = wait_until(lambda: job_state(kiosk, job_id)["state"] == "printed", 30)
        assert printed, job_state(kiosk, job_id)


def test_out_of_paper_waits_with_the_status_shown_and_prints_when_paper_is_back(
    kiosk: dict[str, Any],
) -> None:
    _, job_id = issue_and_queue(kiosk, items=1)
    with FakePrinter("tspl", state="paper_out") as printer:
        with background_agent(agent_args(kiosk, printer)):
            assert wait_until(lambda: "media-empty" in job_state(kiosk, job_id)["waiting_reasons"])
            terminals = api(kiosk["server"], "GET", "/api/v1/terminals", kiosk["token"])
            assert "media-empty" in terminals[0]["printer_reasons"] and terminals[0]["online"]
            assert printer.jobs == 0
            printer.set_state("ready")
            assert wait_until(lambda: job_state(kiosk, job_id)["state"] == "printed")
        assert printer.jobs == 2


def test_a_revoked_device_credential_is_refused(kiosk: dict[str, Any]) -> None:
    with FakePrinter("tspl") as printer:
        first = run_agent(agent_args(kiosk, printer, "--until-idle"))
        assert first.returncode == 0, first.stdout + first.stderr
        api(
            kiosk["server"],
            "POST",
            f"/api/v1/terminals/{kiosk['terminal']['id']}/revoke",
            kiosk["token"],
            {},
        )
        refused = run_agent(agent_args(kiosk, printer, "--until-idle"))
    assert refused.returncode == 3
    assert "refused" in refused.stderr + refused.stdout


def test_a_reprint_is_a_new_job_marked_reprint(kiosk: dict[str, Any]) -> None:
    _, job_id = issue_and_queue(kiosk, items=1)
    with FakePrinter("tspl") as printer:
        run_agent(agent_args(kiosk, printer, "--until-idle"))
        reprint = api(
            kiosk["server"],
            "POST",
            f"/api/v1/print-jobs/{job_id}/reprint",
            kiosk["token"],
            {"reason": "标签被雨淋湿"},
        )
        run_agent(agent_args(kiosk, printer, "--until-idle"))
        jobs = delivered_jobs(printer, 4)
    assert reprint["kind"] == "reprint" and reprint["reprint_of"] == job_id
    assert len(jobs) == 4
    assert job_state(kiosk, reprint["id"])["state"] == "printed"


def test_an_agent_without_driver_prints_in_the_language_the_kiosk_record_names(
    kiosk: dict[str, Any],
) -> None:
    """The printer is swapped for a ZPL one and the record changed: no unit file edited."""
    with FakePrinter("tspl") as printer:
        enrolled = run_agent(agent_args(kiosk, printer, "--enrol-only", driver=None))
        assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    terminal_id = kiosk["terminal"]["id"]
    api(kiosk["server"], "PATCH", f"/api/v1/terminals/{terminal_id}", kiosk["token"],
        {"driver": "zpl"})  # fmt: skip
    issued, job_id = issue_and_queue(kiosk, items=1)
    with FakePrinter("zpl") as printer:
        result = run_agent(agent_args(kiosk, printer, "--until-idle", driver=None))
        printer.wait_for(lambda p: p.jobs >= 2, timeout=10)
        received = printer.received
    assert result.returncode == 0, result.stdout + result.stderr
    formats = re.findall(rb"\^XA.*?\^XZ", received, re.S)
    assert len(formats) == 2 and b"SIZE " not in received  # certificate + item, all ZPL
    decoded = [
        r.text
        for r in zxingcpp.read_barcodes(
            zpl.decode(formats[1]).image,
            formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        )
    ]
    assert decoded == [issued["items"][0]["url"]]
    assert job_state(kiosk, job_id)["state"] in ("printed", "sent")
    assert "as the kiosk's record says" in result.stderr
