"""An agent started without --driver prints in the language the kiosk's record names.

When the county swaps a kiosk's printer for one of another language and changes the record,
the next job comes out in the new language without editing the kiosk's service unit; a
language given on the command line is what the person at the kiosk says is attached, and wins.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

import pytest
import zxingcpp

from printers.agent.client import KioskClient
from printers.agent.journal import Journal
from printers.agent.runner import Agent, AgentSettings
from printers.testing import FakePrinter
from tests.printers.conftest import sample_data
from tests.printers.decoders import tspl, zpl


class KioskRecord:
    """The server's side: answers heartbeats with the record's language, hands out one job."""

    def __init__(self, record_driver: str, job_driver: str | None = None) -> None:
        self.record_driver = record_driver
        fields = asdict(sample_data())
        fields["basis"] = list(fields["basis"])
        self.job: dict[str, Any] | None = {
            "id": "job-1",
            "claim_token": "t",
            "driver": job_driver or record_driver,
            "labels": [{"layout": "item-40x30", "dpi": 203, "data": fields}],
        }
        self.acks: list[tuple[str, str]] = []
        self.heartbeats: list[str] = []

    def heartbeat(
        self, agent_version: str, printer_state: str, reasons: list[str]
    ) -> dict[str, Any]:
        self.heartbeats.append(printer_state)
        return {"ok": True, "driver": self.record_driver}

    def claim(self) -> dict[str, Any] | None:
        job, self.job = self.job, None
        return job

    def wait(self, job_id: str, claim_token: str, reasons: list[str]) -> None:
        raise AssertionError(f"the job should not wait: {reasons}")

    def ack(self, job_id: str, claim_token: str, outcome: str, error: str | None = None) -> None:
        self.acks.append((job_id, outcome))


def agent_for(
    tmp_path: Path, printer: FakePrinter, server: KioskRecord, *, driver: str, follow: bool
) -> Agent:
    settings = AgentSettings(
        printer_url=printer.url, driver=driver, follow_terminal_driver=follow, status_timeout=1.0
    )
    return Agent(cast(KioskClient, server), Journal(tmp_path / "journal.db"), settings)


def print_one(
    tmp_path: Path, server: KioskRecord, printer_language: str, *, follow: bool
) -> tuple[Agent, bytes]:
    """An agent started speaking TSPL handles the server's one job on a printer of
    `printer_language`; the agent and every byte the printer received."""
    with FakePrinter(printer_language) as printer:
        agent = agent_for(tmp_path, printer, server, driver="tspl", follow=follow)
        assert agent.step()
        assert printer.wait_for(lambda p: p.jobs == 1)
        return agent, bytes(printer.received)


def test_without_a_driver_the_record_s_language_is_printed_and_remembered(tmp_path: Path) -> None:
    server = KioskRecord("zpl")
    _, received = print_one(tmp_path, server, "zpl", follow=True)
    assert server.acks == [("job-1", "sent")]
    job = received[received.index(b"^XA") :]
    image = zpl.decode(job).image
    assert [
        r.text
        for r in zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    ] == [sample_data().qr_text]
    assert b"SIZE " not in received  # not one TSPL command reached the ZPL printer
    assert Journal(tmp_path / "journal.db").remembered("driver") == "zpl"


def test_after_taking_a_new_language_it_reports_the_printer_again_at_once(tmp_path: Path) -> None:
    server = KioskRecord("zpl")
    server.job = None
    with FakePrinter("zpl") as printer:
        agent = agent_for(tmp_path, printer, server, driver="tspl", follow=True)
        agent.step()  # asked in TSPL, which a ZPL printer does not answer
        agent.step()  # asked again in ZPL, without waiting for the heartbeat interval
    assert server.heartbeats[-1] == "ready"
    assert len(server.heartbeats) == 2


def test_a_job_claimed_after_the_record_changed_prints_in_the_job_s_language(
    tmp_path: Path,
) -> None:
    server = KioskRecord("tspl", job_driver="zpl")  # changed between heartbeat and claim
    agent, _ = print_one(tmp_path, server, "zpl", follow=True)
    assert server.acks == [("job-1", "sent")]
    assert agent.settings.driver == "zpl"


def test_a_driver_given_on_the_command_line_wins_over_the_record(tmp_path: Path) -> None:
    _, received = print_one(tmp_path, KioskRecord("zpl"), "tspl", follow=False)
    job = re.search(rb"SIZE [^\r]*\r\n.*?\r\nPRINT \d+(?:,\d+)?\r\n", received, re.S)
    assert job is not None
    assert [
        r.text
        for r in zxingcpp.read_barcodes(
            tspl.decode(job.group()).image,
            formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        )
    ] == [sample_data().qr_text]
    assert Journal(tmp_path / "journal.db").remembered("driver") is None


def test_a_language_it_does_not_know_is_ignored(tmp_path: Path) -> None:
    server = KioskRecord("epl2")
    agent, _ = print_one(tmp_path, server, "tspl", follow=True)
    assert agent.settings.driver == "tspl"
    assert server.acks == [("job-1", "sent")]


# --- what the command line makes of --driver and --profile -------------------------------


def settings_for(tmp_path: Path, *options: str, enrolled: str | None = None) -> AgentSettings:
    from printers.agent.cli import agent_settings, parser

    args = parser().parse_args(
        ["--server", "https://trace.example.cn", "--credential", str(tmp_path / "credential"),
         "--printer", "tcp://192.168.1.50:9100", "--journal", str(tmp_path / "journal.db"),
         *options]
    )  # fmt: skip
    journal = Journal(args.journal)
    try:
        return agent_settings(args, journal, enrolled)
    finally:
        journal.close()


def test_a_profile_without_a_driver_speaks_the_profile_s_language_and_does_not_follow(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, "--profile", "zpl-203", enrolled="tspl")
    assert (settings.driver, settings.follow_terminal_driver) == ("zpl", False)


def test_without_driver_or_profile_it_starts_from_enrolment_then_from_what_it_remembers(
    tmp_path: Path,
) -> None:
    first = settings_for(tmp_path, enrolled="cpcl")
    assert (first.driver, first.follow_terminal_driver) == ("cpcl", True)
    restarted = settings_for(tmp_path)  # the next start, the server away
    assert restarted.driver == "cpcl"
    assert settings_for(tmp_path / "new").driver == "tspl"  # nothing known yet


def test_a_profile_of_another_language_or_an_unknown_one_stops_the_agent_before_it_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from printers.agent.cli import main

    credential = tmp_path / "credential"
    credential.write_text("secret\n")
    base = ["--server", "http://127.0.0.1:9", "--credential", str(credential),
            "--printer", "tcp://127.0.0.1:9", "--journal", str(tmp_path / "journal.db"),
            "--until-idle"]  # fmt: skip
    assert main([*base, "--driver", "tspl", "--profile", "zpl-203"]) == 2
    assert "profile zpl-203 is for zpl, not tspl" in caplog.text
    assert main([*base, "--profile", "zpl-999"]) == 2
    assert "zpl-999" in caplog.text
