"""`cups://Queue` against a real CUPS scheduler: what the driver made is what the printer gets.

Each test that needs a scheduler starts its own cupsd (Debian's `cups` package) in the
foreground, with its own configuration, spool, cache, state and logs in a fresh
directory, listening only on a Unix socket there; `lp` and `lpadmin` find it through
CUPS_SERVER (also how the tests without one point lp at nothing, or at a hung socket).
Its queues are raw queues (`lpadmin -p Name -E -v socket://127.0.0.1:<port>`, no PPD)
whose device is a FakePrinter on a free TCP port, reached through CUPS's own `socket`
backend. Nothing is mocked between `print_label(…, "cups://Name", …)` and the bytes the printer reads.

Skipped only when cupsd is not installed; `.ci/run` installs it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from printers.drivers import get_driver
from printers.drivers.base import Mode
from printers.job import print_label
from printers.layouts import build_label
from printers.model import Label
from printers.testing import FakePrinter
from printers.transports import TransportError, make_transport
from printers.transports.cups import CupsTransport
from tests.printers.conftest import CODE_URL, read_qr_texts, sample_data
from tests.printers.decoders import Decoded, cpcl, escpos, tspl, zpl

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
CUPSD = shutil.which("cupsd", path=SBIN_PATH)
SOCKET_BACKEND = Path("/usr/lib/cups/backend/socket")  # Debian's ServerBin
START_DEADLINE = 20.0  # seconds for cupsd to open its socket on a busy CI machine
DELIVERY_DEADLINE = 20.0  # seconds for a job to go lp → cupsd → socket backend → printer

pytestmark = pytest.mark.skipif(
    CUPSD is None,
    reason="cupsd is not installed (apt-get install cups: cups-daemon, cups-client, "
    "and the socket backend)",
)


def _tool(name: str) -> str:
    found = shutil.which(name, path=SBIN_PATH)
    if found is None:
        pytest.fail(f"cupsd is installed but {name} is not: apt-get install cups cups-client")
    return found


@dataclass
class PrivateCups:
    """One running cupsd of our own; `lp`/`lpadmin` reach it through `env["CUPS_SERVER"]`."""

    root: Path
    socket_path: Path
    process: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CUPS_SERVER": str(self.socket_path), "LC_ALL": "C"}

    def error_log(self) -> str:
        log = self.root / "log" / "error_log"
        return log.read_text(errors="replace") if log.exists() else "(no error_log written)"

    def admin(self, tool: str, *args: str) -> str:
        """Run a CUPS admin command (lpadmin, cupsreject, …) against this cupsd; fail loudly."""
        done = subprocess.run(
            [_tool(tool), *args], env=self.env, capture_output=True, timeout=30, check=False
        )
        if done.returncode != 0:
            pytest.fail(
                f"{tool} {' '.join(args)} failed ({done.returncode}): "
                f"{done.stderr.decode(errors='replace')}\n--- cupsd error_log ---\n"
                + self.error_log()
            )
        return done.stdout.decode(errors="replace")

    def add_raw_queue(self, name: str, printer: FakePrinter) -> str:
        """A raw queue (no PPD, so no filters) printing to `printer`; returns `cups://name`."""
        # No `-m raw`: CUPS 2.4 still makes a raw queue with it but warns that raw queues
        # are deprecated; a queue without any PPD is the same raw queue, without the warning.
        self.admin("lpadmin", "-p", name, "-E", "-v", f"socket://127.0.0.1:{printer.port}")
        return f"cups://{name}"

    def submissions(self, queue: str) -> int:
        """Jobs lp tried to create on `queue`, accepted or not (cupsd's access_log)."""
        log = self.root / "log" / "access_log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return sum(
            f'"POST /printers/{queue} ' in line and ("Create-Job" in line or "Print-Job" in line)
            for line in lines
        )

    def jobs(self, queue: str, which: str = "not-completed") -> list[str]:
        """Job ids CUPS lists for `queue` (`lpstat -W which -o queue`)."""
        listing = self.admin("lpstat", "-W", which, "-o", queue)
        return [line.split()[0] for line in listing.splitlines() if line.strip()]


def _wait_for_socket(process: subprocess.Popen[bytes], path: Path, deadline: float) -> str:
    """'' once cupsd accepts connections on `path`, else why not."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"cupsd exited with status {process.returncode}"
        if path.exists():
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                try:
                    probe.connect(str(path))
                    return ""
                except OSError:
                    pass
        time.sleep(0.05)
    return f"cupsd did not listen on {path} within {START_DEADLINE:.0f} s"


@pytest.fixture
def cups(monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateCups]:
    """A private cupsd for one test, stopped (and its directory removed) afterwards."""
    assert CUPSD is not None
    if not SOCKET_BACKEND.exists():
        pytest.fail(f"cupsd is installed but {SOCKET_BACKEND} is not: apt-get install cups")
    # Not under tmp_path: pytest keeps its base directory 0700, and cupsd runs the socket
    # backend as user lp, which must reach the spooled job file. A fresh mkdtemp directory
    # (unique per test, so safe under xdist) opened to 0755 is; the socket path stays short.
    root = Path(tempfile.mkdtemp(prefix="cupsd-"))
    root.chmod(0o755)
    for sub in ("etc", "spool", "spool/tmp", "cache", "state", "log"):
        (root / sub).mkdir()
    socket_path = root / "cups.sock"
    (root / "etc" / "cups-files.conf").write_text(
        f"ServerRoot {root}/etc\n"
        f"RequestRoot {root}/spool\n"
        f"TempDir {root}/spool/tmp\n"
        f"CacheDir {root}/cache\n"
        f"StateDir {root}/state\n"
        f"ErrorLog {root}/log/error_log\n"
        f"AccessLog {root}/log/access_log\n"
        f"PageLog {root}/log/page_log\n"
        "SystemGroup root\n"
    )
    # Only the Unix socket (no Port, no Listen on TCP), and no access control: only
    # this test talks to it.
    (root / "etc" / "cupsd.conf").write_text(
        f"Listen {socket_path}\n"
        "LogLevel debug\n"
        "Browsing No\n"
        "WebInterface No\n"
        "DefaultAuthType None\n"
        "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
    )
    process = subprocess.Popen(
        [
            CUPSD,
            "-f",
            "-c",
            str(root / "etc" / "cupsd.conf"),
            "-s",
            str(root / "etc" / "cups-files.conf"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = PrivateCups(root, socket_path, process)
    try:
        problem = _wait_for_socket(process, socket_path, time.monotonic() + START_DEADLINE)
        if problem:
            if process.poll() is None:
                process.kill()
            output = process.communicate(timeout=10)[0].decode(errors="replace")
            pytest.fail(
                f"{problem}\n--- cupsd output ---\n{output}\n"
                f"--- cupsd error_log ---\n{server.error_log()}"
            )
        monkeypatch.setenv("CUPS_SERVER", str(socket_path))
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)


# What the drivers make, and how to read it back --------------------------------------

PROFILES = {"tspl": "tspl-203", "zpl": "zpl-hprt-203", "cpcl": "cpcl-203", "escpos": "escpos-80"}
LAYOUTS = {"tspl": "item-40x30", "zpl": "item-40x30", "cpcl": "item-40x30", "escpos": "receipt-80"}


def decode(language: str, label: Label, data: bytes) -> Decoded:
    if language == "tspl":
        return tspl.decode(data, label.media.dots_per_mm)
    if language == "zpl":
        return zpl.decode(data)
    if language == "cpcl":
        return cpcl.decode(data)
    return escpos.decode(data, label.media.width_dots)


# The specification -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "mode"),
    [("tspl", "native"), ("zpl", "raster"), ("cpcl", "native"), ("escpos", "raster")],
)
def test_a_label_printed_to_a_cups_queue_reaches_the_printer_byte_for_byte(
    cups: PrivateCups, language: str, mode: Mode
) -> None:
    label = build_label(LAYOUTS[language], sample_data())
    driver = get_driver(language, PROFILES[language])
    expected = driver.encode(label, mode=mode).data
    with FakePrinter(language) as printer:
        url = cups.add_raw_queue("Label_Printer", printer)
        result = print_label(label, url, driver, mode=mode)
        received = printer.wait_for_bytes(len(expected), timeout=DELIVERY_DEADLINE)
        assert received == expected, cups.error_log()
    # CUPS cannot tell us the label came out, only that lp took the job.
    assert result.outcome == "sent"
    assert result.bytes_sent == len(expected)
    assert read_qr_texts(decode(language, label, received).image) == [CODE_URL]


def test_one_transport_use_is_one_cups_job_holding_every_write(cups: PrivateCups) -> None:
    first, second = b"SIZE 40 mm,30 mm\r\nCLS\r\n", b'TEXT 10,10,"3",0,1,1,"A"\r\nPRINT 1\r\n'
    with FakePrinter("tspl") as printer:
        url = cups.add_raw_queue("Kiosk", printer)
        with make_transport(url) as transport:
            transport.open()
            transport.write(first)
            transport.write(second)
        assert printer.wait_for_bytes(len(first + second), timeout=DELIVERY_DEADLINE) == (
            first + second
        )
        assert printer.connections == 1
    assert transport.bytes_sent == len(first + second)
    assert len(cups.jobs("Kiosk", "all")) == 1
    assert cups.submissions("Kiosk") == 1


def test_a_queue_that_does_not_exist_is_not_found_and_says_which(cups: PrivateCups) -> None:
    label = build_label("item-40x30", sample_data())
    with pytest.raises(TransportError) as error:
        print_label(label, "cups://No_Such_Queue", get_driver("tspl", "tspl-203"))
    assert error.value.kind == "not_found"
    assert error.value.message_zh == "找不到打印机（cups://No_Such_Queue）"
    assert "cups://No_Such_Queue" in error.value.message_en
    assert "does not exist" in error.value.message_en  # lp's own words, for the log
    # lp refused it, so nothing left the machine: the caller may safely try again.
    assert getattr(error.value.result, "outcome", None) == "failed_before_send"


@pytest.mark.parametrize("lang", ["zh_CN.UTF-8", "de_DE.UTF-8"])
def test_lp_is_understood_whatever_language_the_kiosk_speaks(
    cups: PrivateCups, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    # lp translates its messages by LANG (CUPS ships its own catalogues, no locale needed).
    monkeypatch.setenv("LANG", lang)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    with pytest.raises(TransportError) as error, make_transport("cups://No_Such_Queue") as t:
        t.write(b"PRINT 1\r\n")
    assert error.value.kind == "not_found"
    assert "does not exist" in error.value.detail


def test_a_queue_rejecting_jobs_fails_before_sending_with_cups_reason(cups: PrivateCups) -> None:
    label = build_label("item-40x30", sample_data())
    with FakePrinter("tspl") as printer:
        url = cups.add_raw_queue("Rejecting", printer)
        cups.admin("cupsreject", "-r", "out of labels", "Rejecting")
        with pytest.raises(TransportError) as error:
            print_label(label, url, get_driver("tspl", "tspl-203"))
        assert printer.connections == 0
    # the kiosk keeper is told to resume the queue, in Chinese; CUPS's reason follows
    assert error.value.kind == "rejected"
    assert "打印队列已停止接收任务" in error.value.message_zh
    assert 'Destination "Rejecting" is not accepting jobs' in error.value.message_en
    assert getattr(error.value.result, "outcome", None) == "failed_before_send"
    assert cups.jobs("Rejecting", "all") == []
    assert cups.submissions("Rejecting") == 1  # refused once, not tried again on close


def test_a_stopped_queue_holds_the_job_until_it_is_enabled(cups: PrivateCups) -> None:
    label = build_label("item-40x30", sample_data())
    driver = get_driver("tspl", "tspl-203")
    expected = driver.encode(label).data
    with FakePrinter("tspl") as printer:
        url = cups.add_raw_queue("Paused", printer)
        cups.admin("cupsdisable", "Paused")
        result = print_label(label, url, driver)
        # lp accepted it, so for us it is "sent"; CUPS keeps it until the queue runs again.
        assert result.outcome == "sent"
        assert len(cups.jobs("Paused")) == 1
        assert printer.connections == 0
        cups.admin("cupsenable", "Paused")
        assert printer.wait_for_bytes(len(expected), timeout=DELIVERY_DEADLINE) == expected


def test_a_scheduler_that_is_not_running_is_named_not_blamed_on_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # lp itself says "The printer or class does not exist." when it cannot reach cupsd.
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "cups.sock"))  # nothing listens there
    with pytest.raises(TransportError) as error, make_transport("cups://Label_Printer") as t:
        t.write(b"PRINT 1\r\n")
    assert error.value.kind == "service_down"
    assert "打印服务（CUPS）未运行" in error.value.message_zh
    assert "CUPS scheduler is not running" in error.value.message_en
    assert "cups://Label_Printer" in error.value.message_en


def test_lp_that_hangs_times_out_as_uncertain_and_is_not_run_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A "scheduler" that accepts lp's connection and never answers: lp hangs.
    hung = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = Path(tempfile.mkdtemp(prefix="hung-cups-")) / "cups.sock"
    hung.bind(str(path))
    hung.listen(8)
    monkeypatch.setenv("CUPS_SERVER", str(path))
    label = build_label("item-40x30", sample_data())
    transport = CupsTransport("cups://Label_Printer?timeout=2")
    started = time.monotonic()
    try:
        with pytest.raises(TransportError) as error:
            print_label(label, transport, get_driver("tspl", "tspl-203"))
        transport.close()  # closing after the failure must not submit the job a second time
        elapsed = time.monotonic() - started
        accepted = 0
        hung.settimeout(0.2)
        while True:
            try:
                conn, _ = hung.accept()
            except TimeoutError:
                break
            conn.close()
            accepted += 1
    finally:
        hung.close()
        shutil.rmtree(path.parent, ignore_errors=True)
    assert error.value.kind == "timeout"
    # lp had the whole job; whether CUPS queued it is unknown, so no automatic retry.
    assert getattr(error.value.result, "outcome", None) == "uncertain"
    assert elapsed < 8.0  # the 2 s timeout, with slack for busy CI
    assert accepted == 1, "lp was run more than once for one job"
