"""The agent's loop: acknowledge what the journal knows, heartbeat, claim, print once, ack.

Failures are expected and survivable: the server may be down (back off, keep the
journal), the printer may be out of paper (tell the server the job waits, retry when
ready), the agent may be killed at any point (the journal decides on restart).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from printers.agent import AGENT_VERSION
from printers.agent.client import KioskClient, ServerError, ServerRefused, ServerUnavailable
from printers.agent.journal import Journal
from printers.drivers import DRIVERS, Driver, get_driver
from printers.errors import PrinterError
from printers.job import PrinterNotReady, print_label, query_status
from printers.layouts import build_label
from printers.model import CertificateLabelData, Label
from printers.raster import check_fits
from printers.status import PrinterStatus
from printers.transports import TransportError, open_transport

log = logging.getLogger("traceability-kiosk")
MIN_RETRY_SECONDS = 0.5  # "Retry-After: 0" must not turn the loop into a busy one


@dataclass
class AgentSettings:
    printer_url: str
    driver: str = "tspl"
    profile: str | None = None
    mode: str = "raster"
    poll_interval: float = 2.0
    max_backoff: float = 30.0
    max_retry_after: float = 600.0  # a server's Retry-After is obeyed up to this
    heartbeat_interval: float = 30.0
    status_timeout: float = 2.0
    crash_after_print: bool = False  # test hook: die between printing and acknowledging
    # Started without --driver: speak the language the kiosk's record names, as the server
    # tells it (heartbeat answers and claimed jobs), so a printer swapped for one of another
    # language on the record prints without editing the kiosk's service unit.
    follow_terminal_driver: bool = False


@dataclass
class AgentState:
    printer_state: str = "unknown"
    printer_reasons: list[str] = field(default_factory=list)
    server_ok: bool = False
    last_error: str | None = None
    printed_jobs: int = 0


class Agent:
    def __init__(self, client: KioskClient, journal: Journal, settings: AgentSettings) -> None:
        self.client = client
        self.journal = journal
        self.settings = settings
        self.state = AgentState()
        self._driver: Driver | None = None
        self._next_heartbeat = 0.0
        recovered = journal.recover()
        if recovered:
            log.warning(
                "%d job(s) were being sent when the agent stopped: reported as uncertain", recovered
            )

    @property
    def driver(self) -> Driver:
        if self._driver is None:
            self._driver = get_driver(self.settings.driver, self.settings.profile)
        return self._driver

    def follow_terminal(self, driver: object) -> bool:
        """Take the printer language the server names for this kiosk; True when it changed.

        Only when started without --driver: a language given on the command line is the
        person at the kiosk saying what is attached, and wins. Remembered in the journal,
        so a restart while the server is away still speaks it.
        """
        if not self.settings.follow_terminal_driver or not isinstance(driver, str):
            return False
        if driver == self.settings.driver or driver not in DRIVERS:
            return False
        log.warning(
            "the kiosk's record names printer language %s (was %s): printing in %s from now on",
            driver,
            self.settings.driver,
            driver,
        )
        self.settings.driver = driver
        self._driver = None
        self.journal.remember("driver", driver)
        return True

    # --- printer ---------------------------------------------------------------------

    def printer_status(self) -> PrinterStatus | None:
        """Ask the printer; None when it cannot be reached (reported as offline)."""
        try:
            with open_transport(self.settings.printer_url) as transport:
                status = query_status(transport, self.driver, self.settings.status_timeout)
        except (TransportError, PrinterError) as exc:
            self.state.printer_state, self.state.printer_reasons = (
                "offline",
                [getattr(exc, "code", "offline")],
            )
            return None
        self.state.printer_state, self.state.printer_reasons = status.state, sorted(status.reasons)
        return status

    # --- server ----------------------------------------------------------------------

    def flush_acknowledgements(self) -> None:
        for entry in self.journal.unacknowledged():
            if entry.state != "done":
                continue
            try:
                self.client.ack(
                    entry.job_id, entry.claim_token, entry.outcome or "uncertain", entry.error
                )
            except ServerError as exc:  # stale claim: the server moved on; nothing to redo
                log.warning("server refused the acknowledgement of %s: %s", entry.job_id, exc)
            self.journal.mark_acked(entry.job_id)

    def heartbeat(self, force: bool = False) -> None:
        if not force and time.monotonic() < self._next_heartbeat:
            return
        self.printer_status()
        answer = self.client.heartbeat(
            AGENT_VERSION, self.state.printer_state, self.state.printer_reasons
        )
        if isinstance(answer, dict) and self.follow_terminal(answer.get("driver")):
            # the state just sent was asked in the old language: ask again, tell at once
            self._next_heartbeat = 0.0
            return
        self._next_heartbeat = time.monotonic() + self.settings.heartbeat_interval

    # --- one step --------------------------------------------------------------------

    def step(self) -> bool:
        """Do one round; True when a job was handled (printed or settled)."""
        self.flush_acknowledgements()
        self.heartbeat()
        job = self.client.claim()
        self.state.server_ok = True
        if job is None:
            return False
        return self.handle(job)

    def handle(self, job: dict[str, Any]) -> bool:
        job_id, token = str(job["id"]), str(job["claim_token"])
        if self.journal.get(job_id) is not None:
            # Claimed again after a network cut or a crash: never print twice.
            log.info("job %s is in the journal already; acknowledging, not printing", job_id)
            self.flush_acknowledgements()
            return True
        self.follow_terminal(job.get("driver"))
        try:
            labels = self._build(job)
        except (PrinterError, KeyError, TypeError, ValueError) as exc:
            # Nothing can be printed from this job (a label that does not fit, bad data):
            # fail it for a person to look at, without touching the printer.
            log.error("job %s cannot be laid out: %s", job_id, exc)
            self.journal.start(job_id, token)
            self.journal.finish(job_id, "failed", f"layout: {exc}")
            self.flush_acknowledgements()
            return True
        status = self.printer_status()
        if status is None or (status.state != "unknown" and not status.ready):
            reasons = self.state.printer_reasons or ["offline"]
            log.warning("printer not ready (%s): job %s waits", ", ".join(reasons), job_id)
            self.client.wait(job_id, token, reasons)
            self._next_heartbeat = 0.0
            return False
        self.journal.start(job_id, token)
        outcome, error = self._print(labels)
        if outcome == "failed_before_send":
            self.journal.forget(job_id)
            self.client.wait(job_id, token, self.state.printer_reasons or ["offline"])
            return False
        self.journal.finish(job_id, outcome, error)
        if self.settings.crash_after_print:
            log.error("crash-after-print test hook: exiting before acknowledging %s", job_id)
            os._exit(3)
        self.state.printed_jobs += 1
        self.flush_acknowledgements()
        return True

    def _build(self, job: dict[str, Any]) -> list[Label]:
        labels = []
        for entry in job.get("labels") or []:
            fields = dict(entry["data"])
            fields["basis"] = tuple(fields.get("basis", ()))
            data = CertificateLabelData(**fields)
            label = build_label(entry["layout"], data, int(entry.get("dpi", 203)))
            check_fits(label)  # every label drawable before the first byte goes out
            self.driver.refuse_unprintable(label)  # and one this printer can take
            labels.append(label)
        if not labels:
            raise ValueError("the job has no labels")
        return labels

    def _print(self, labels: list[Label]) -> tuple[str, str | None]:
        outcomes: list[str] = []
        try:
            with open_transport(self.settings.printer_url) as transport:
                for index, label in enumerate(labels):
                    result = print_label(
                        label,
                        transport,
                        self.driver,
                        mode=self.settings.mode,  # type: ignore[arg-type]
                        check_status=index == 0,
                        status_timeout=self.settings.status_timeout,
                        wait_done=0.0,
                    )
                    outcomes.append(result.outcome)
        except PrinterNotReady as exc:
            self.state.printer_reasons = sorted(exc.reasons)
            if not outcomes:
                return "failed_before_send", str(exc)
            return "uncertain", f"stopped after {len(outcomes)} of {len(labels)} labels: {exc}"
        except (TransportError, PrinterError) as exc:
            attached = getattr(exc, "result", None)
            if not outcomes and attached is None and not isinstance(exc, TransportError):
                # Failed while making the bytes (a label that cannot be drawn): nothing
                # went to the printer, and trying again would fail the same way.
                return "failed", f"nothing printed: {exc}"
            sent_nothing = not outcomes and getattr(attached, "outcome", "") == "failed_before_send"
            if sent_nothing:
                self.state.printer_state, self.state.printer_reasons = "offline", ["offline"]
                return "failed_before_send", str(exc)
            return "uncertain", f"after {len(outcomes)} of {len(labels)} labels: {exc}"
        return ("printed" if outcomes and all(o == "printed" for o in outcomes) else "sent"), None

    # --- forever ---------------------------------------------------------------------

    def run(self, stop: threading.Event, *, until_idle: bool = False) -> None:
        backoff = self.settings.poll_interval
        while not stop.is_set():
            delay = self.settings.poll_interval
            try:
                worked = self.step()
                backoff = self.settings.poll_interval
                if worked:
                    continue
                if until_idle and not self.journal.unacknowledged():
                    return
            except ServerRefused as exc:
                log.error(
                    "the server refused this kiosk's credential (%s); re-enrol the terminal", exc
                )
                raise
            except ServerUnavailable as exc:
                self.state.server_ok = False
                self.state.last_error = str(exc)
                delay = retry_delay(backoff, exc.retry_after, self.settings.max_retry_after)
                log.warning("server unavailable (%s); retrying in %.0f s", exc, delay)
                backoff = min(backoff * 2, self.settings.max_backoff)
            stop.wait(delay)


def retry_delay(backoff: float, retry_after: float | None, max_retry_after: float) -> float:
    """How long to wait after a failed call: the server's Retry-After when it gave one.

    A short Retry-After (the service's 1 s `busy`) is taken as is rather than the growing
    backoff: the server knows the clash is over. A long one (a rate limit's window) is
    obeyed, up to `max_retry_after`, so a wrong header cannot park a kiosk for a day.
    """
    if retry_after is None:
        return backoff
    return min(max(retry_after, MIN_RETRY_SECONDS), max_retry_after)
