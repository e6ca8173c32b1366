"""Print one label to one printer, honestly: ask before, send once, ask after, say what is known.

At most once, automatically: print_label never resends. If nothing left the
machine the caller may retry; if some bytes left and then something failed the
outcome is "uncertain" and an operator decides (reprint with 补打). "sent" is not
"printed": only a status round trip that shows the job finished earns "printed"
(printers.md §0.4, §6.4).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from printers.drivers.base import Driver, ElementMode, Mode
from printers.errors import PrinterError
from printers.model import Label, PrintSettings
from printers.status import UNKNOWN, PrinterStatus
from printers.transports import Transport, TransportError, open_transport

Outcome = Literal["printed", "sent", "failed_before_send", "uncertain"]
POLL_INTERVAL = 0.1


@dataclass(frozen=True)
class PrintResult:
    """What happened to one print_label call; store it on the job record."""

    outcome: Outcome
    status_before: PrinterStatus | None
    status_after: PrinterStatus | None
    bytes_sent: int
    elapsed: float = 0.0
    modes: dict[str, ElementMode] = field(default_factory=dict)


class PrinterNotReady(PrinterError):
    """The printer reported a fault before anything was sent; nothing was printed.

    `status.reasons` holds IPP keywords (media-empty, cover-open…); the message is
    the operator instruction, e.g. 请装纸 / out of paper. `result` is the PrintResult.
    """

    code = "printer_not_ready"

    def __init__(self, url: str, status: PrinterStatus, result: PrintResult) -> None:
        self.url = url
        self.status = status
        self.result = result
        zh, _, en = status.message().partition(" / ")
        super().__init__(f"打印机未就绪：{zh}（{url}）", f"printer {url} not ready: {en}")

    @property
    def reasons(self) -> frozenset[str]:
        return self.status.reasons


def query_status(transport: Transport, driver: Driver, timeout: float = 2.0) -> PrinterStatus:
    """Ask the printer for its state; UNKNOWN if the language or transport cannot ask.

    Raises TransportError(kind="timeout") when a printer that should answer stays
    silent — for ZPL that is documented to mean paper out or head open.
    """
    request = driver.status_request()
    if request is None or not transport.can_read or not driver.profile.answers_status:
        return UNKNOWN
    transport.drain()
    transport.write(request)
    reply = transport.read_until(driver.status_reply_complete, timeout)
    if not reply:
        raise TransportError(transport.url, "timeout", f"no answer to status query in {timeout} s")
    return driver.parse_status(reply)


def _wait_until_done(
    transport: Transport, driver: Driver, timeout: float, wait_done: float
) -> tuple[PrinterStatus, bool]:
    """Poll until the printer is no longer printing; returns (last status, saw it working)."""
    deadline = time.monotonic() + wait_done
    saw_work = False
    while True:
        status = query_status(transport, driver, timeout)
        saw_work = saw_work or status.state == "printing"
        if status.state != "printing" or time.monotonic() >= deadline:
            return status, saw_work
        time.sleep(POLL_INTERVAL)


def print_label(
    label: Label,
    printer: str | Transport,
    driver: Driver,
    *,
    mode: Mode = "native",
    settings: PrintSettings | None = None,
    check_status: bool = True,
    status_timeout: float = 2.0,
    wait_done: float = 10.0,
) -> PrintResult:
    """Encode `label` with `driver` and send it to `printer` (a URL or an open Transport).

    Returns a PrintResult with outcome "printed" or "sent". Raises PrinterNotReady
    (a fault before sending; nothing sent) or TransportError; either carries
    `.result` with outcome "failed_before_send" or "uncertain".
    """
    started = time.monotonic()
    transport = open_transport(printer) if isinstance(printer, str) else printer
    owned = isinstance(printer, str)
    job_bytes = 0
    before: PrinterStatus | None = None

    def result(outcome: Outcome, after: PrinterStatus | None = None) -> PrintResult:
        elapsed = time.monotonic() - started
        return PrintResult(outcome, before, after, job_bytes, elapsed, modes)

    modes: dict[str, ElementMode] = {}
    try:
        encoded = driver.encode(label, mode=mode, settings=settings)
        modes = encoded.modes
        asks = check_status and driver.status_request() is not None and transport.can_read
        start_count: int | None = None
        try:
            if asks:
                before = query_status(transport, driver, status_timeout)
                if before.state != "unknown" and not before.ready:
                    raise PrinterNotReady(transport.url, before, result("failed_before_send"))
            start_count = transport.bytes_sent
            transport.write(encoded.data)
            transport.flush()
            job_bytes = transport.bytes_sent - start_count
        except TransportError as exc:
            job_bytes = 0 if start_count is None else transport.bytes_sent - start_count
            exc.result = result("uncertain" if job_bytes else "failed_before_send")
            raise
        if not asks:
            return result("sent")
        try:
            after, saw_work = _wait_until_done(transport, driver, status_timeout, wait_done)
        except TransportError:
            return result("sent", UNKNOWN)
        if not after.ready and after.state != "unknown":
            return result("uncertain", after)
        done = after.state == "ready" and driver.status_proves_completion and saw_work
        return result("printed" if done else "sent", after)
    finally:
        if owned:
            transport.close()
