"""A job whose label cannot be drawn fails cleanly: nothing goes to the printer, and the
server hears `failed` (nothing printed), not `uncertain` (a person should check the printer)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

from printers.agent.client import KioskClient
from printers.agent.journal import Journal
from printers.agent.runner import Agent, AgentSettings
from printers.layouts import build_label
from printers.testing import FakePrinter
from tests.printers.conftest import sample_data


class RecordingClient:
    """The agent's side of the server: hands out one job and records what it is told."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.job: dict[str, Any] | None = job
        self.acks: list[tuple[str, str, str | None]] = []
        self.waits: list[list[str]] = []

    def heartbeat(self, agent_version: str, printer_state: str, reasons: list[str]) -> None:
        pass

    def claim(self) -> dict[str, Any] | None:
        job, self.job = self.job, None
        return job

    def wait(self, job_id: str, claim_token: str, reasons: list[str]) -> None:
        self.waits.append(reasons)

    def ack(self, job_id: str, claim_token: str, outcome: str, error: str | None = None) -> None:
        self.acks.append((job_id, outcome, error))


def label_entry(layout: str, **changes: object) -> dict[str, Any]:
    fields = asdict(sample_data(**changes))
    fields["basis"] = list(fields["basis"])
    return {"layout": layout, "dpi": 203, "data": fields}


def run_one(tmp_path: Path, printer: FakePrinter, labels: list[dict[str, Any]]) -> RecordingClient:
    client = RecordingClient({"id": "job-1", "claim_token": "t", "labels": labels})
    settings = AgentSettings(printer_url=printer.url, driver="tspl", status_timeout=1.0)
    agent = Agent(cast(KioskClient, client), Journal(tmp_path / "journal.db"), settings)
    assert agent.step()
    return client


def test_a_label_that_cannot_be_drawn_fails_the_job_before_any_byte(tmp_path: Path) -> None:
    too_long = label_entry("label-60x40", product="超长品名" * 20)  # laid out, but cannot be drawn
    with FakePrinter(language="tspl") as printer:
        client = run_one(tmp_path, printer, [label_entry("item-40x30"), too_long])
        assert printer.jobs == 0 and b"PRINT" not in printer.received
    [(job_id, outcome, error)] = client.acks
    assert (job_id, outcome) == ("job-1", "failed") and error and "放不下" in error


def test_a_label_failing_while_its_bytes_are_made_is_failed_not_uncertain(
    tmp_path: Path,
) -> None:
    label = build_label("label-60x40", sample_data(product="超长品名" * 20))
    with FakePrinter(language="tspl") as printer:
        settings = AgentSettings(printer_url=printer.url, driver="tspl", status_timeout=1.0)
        agent = Agent(cast(KioskClient, RecordingClient({})), Journal(tmp_path / "j.db"), settings)
        outcome, error = agent._print([label])
        assert printer.jobs == 0
    assert outcome == "failed" and error and error.startswith("nothing printed")


def test_a_label_the_printer_cannot_take_fails_the_job_before_any_byte(tmp_path: Path) -> None:
    """The agent drives the printer named on its own command line: a receipt for a TSPL label
    printer (say, registered as ESC/POS by mistake) would run across its labels."""
    with FakePrinter(language="tspl") as printer:
        client = run_one(tmp_path, printer, [label_entry("item-40x30"), label_entry("receipt-80")])
        assert printer.jobs == 0 and b"PRINT" not in printer.received
    [(job_id, outcome, error)] = client.acks
    assert (job_id, outcome) == ("job-1", "failed")
    assert error and "receipt-80" in error and "TSPL" in error


def test_a_label_wider_than_the_printer_fails_the_job_before_any_byte(tmp_path: Path) -> None:
    with FakePrinter(language="escpos") as printer:
        client = RecordingClient(
            {"id": "job-1", "claim_token": "t", "labels": [label_entry("certificate-80x60")]}
        )
        settings = AgentSettings(
            printer_url=printer.url, driver="escpos", profile="escpos-58", status_timeout=1.0
        )
        agent = Agent(cast(KioskClient, client), Journal(tmp_path / "journal.db"), settings)
        assert agent.step()
        assert printer.jobs == 0
    [(_, outcome, error)] = client.acks
    assert outcome == "failed" and error and "escpos-58" in error
