"""Transports: exact bytes arrive, and failures are TransportErrors naming the printer, in time."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from printers.drivers import get_driver
from printers.layouts import build_label
from printers.testing import FakePrinter
from printers.transports import TransportError, make_transport, open_transport
from printers.transports.cups import CupsTransport
from printers.transports.memory import MemoryTransport
from tests.printers.conftest import sample_data


def job_bytes(language: str = "tspl") -> bytes:
    return get_driver(language).encode(build_label("item-40x30", sample_data())).data


@pytest.mark.parametrize("language", ["tspl", "zpl", "cpcl", "escpos"])
def test_fake_printer_receives_exactly_the_driver_bytes(language: str) -> None:
    data = job_bytes(language)
    with FakePrinter(language) as printer:
        with open_transport(printer.url) as transport:
            transport.write(data)
        assert printer.wait_for_bytes(len(data)) == data
        assert transport.bytes_sent == len(data)


def test_large_raster_job_arrives_intact() -> None:
    data = (
        get_driver("zpl")
        .encode(build_label("certificate-100x70", sample_data(), 300), mode="raster")
        .data
    )
    with FakePrinter("zpl") as printer:
        with open_transport(printer.url) as transport:
            transport.write(data)
        assert printer.wait_for_bytes(len(data)) == data


def test_connection_refused_is_a_clear_error_naming_the_printer() -> None:
    with FakePrinter(behaviour="refuse") as printer:
        started = time.monotonic()
        with pytest.raises(TransportError) as error:
            open_transport(printer.url)
    assert time.monotonic() - started < 3.0  # immediate in practice; generous for busy CI
    assert error.value.kind == "refused"
    assert printer.url in str(error.value)
    assert "拒绝连接" in error.value.message_zh and "refused" in error.value.message_en


def test_silent_printer_status_query_times_out_within_the_timeout() -> None:
    printer = FakePrinter("tspl", behaviour="silent", timeout=1.0)
    with printer, open_transport(printer.url) as transport:
        transport.write(b"\x1b!?")
        started = time.monotonic()
        reply = transport.read_until(lambda r: len(r) >= 1, timeout=0.5)
        assert reply == b""
        assert time.monotonic() - started < 2.5  # the 0.5 s timeout, with slack for busy CI


def test_silent_printer_that_never_reads_fails_the_send_within_the_timeout() -> None:
    with FakePrinter("tspl", behaviour="silent", timeout=1.0) as printer:
        transport = make_transport(printer.url)
        transport.open()
        started = time.monotonic()
        with pytest.raises(TransportError) as error:
            transport.write(b"\x00" * 64_000_000)
        elapsed = time.monotonic() - started
        transport.close()
    assert error.value.kind == "timeout"
    assert elapsed < 6.0  # the 1 s send timeout, with slack for busy CI
    assert 0 < transport.bytes_sent < 64_000_000
    assert "超时" in error.value.message_zh


def test_unresolvable_host_is_not_found() -> None:
    with pytest.raises(TransportError) as error:
        open_transport("tcp://no-such-printer.invalid:9100?timeout=1")
    assert error.value.kind == "not_found"


def test_unknown_scheme_is_rejected_with_the_choices() -> None:
    with pytest.raises(TransportError, match="tcp, file"):
        make_transport("gopher://printer")


def test_file_transport_writes_the_job_to_the_file(tmp_path: Path) -> None:
    target = tmp_path / "job.prn"
    data = job_bytes()
    with open_transport(f"file://{target}") as transport:
        transport.write(data)
    assert target.read_bytes() == data


def test_file_transport_missing_directory_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(TransportError) as error:
        open_transport(f"file://{tmp_path}/missing/lp0")
    assert error.value.kind == "not_found"


def test_file_transport_without_permission_says_so(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.write_bytes(b"")
    target.chmod(0o400)
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions")
    with pytest.raises(TransportError) as error:
        open_transport(f"file://{target}")
    assert error.value.kind == "permission"


def test_serial_transport_round_trips_on_a_loopback_port() -> None:
    with open_transport("serial://loop://?baud=9600&timeout=1") as transport:
        transport.write(b"\x1b!?")
        assert transport.read_until(lambda r: len(r) >= 3, timeout=1) == b"\x1b!?"


def test_serial_transport_missing_device_is_not_found() -> None:
    with pytest.raises(TransportError) as error:
        open_transport("serial:///dev/ttyNOPE0?baud=9600")
    assert error.value.kind == "not_found"


def test_memory_transport_is_shared_by_name() -> None:
    with open_transport("mem://kiosk-test") as transport:
        transport.write(b"hello")
    assert MemoryTransport.named["kiosk-test"].written == b"hello"


def test_cups_transport_without_lp_is_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(TransportError) as error:
        open_transport("cups://Label_Printer")
    assert error.value.kind == "not_found"
    assert "cups://Label_Printer" in str(error.value)


def test_printer_closing_the_connection_is_reported_not_waited_out() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def accept_and_hang_up() -> None:
        conn, _ = server.accept()
        conn.close()

    thread = threading.Thread(target=accept_and_hang_up)
    thread.start()
    with open_transport(f"tcp://127.0.0.1:{port}?timeout=1") as transport:
        thread.join()
        started = time.monotonic()
        with pytest.raises(TransportError) as error:
            transport.read_until(lambda r: len(r) >= 1, timeout=1.0)
    server.close()
    assert error.value.kind == "closed"
    assert time.monotonic() - started < 2.5  # before the 1 s read timeout would matter


@pytest.mark.parametrize(
    "url",
    [
        "tcp://127.0.0.1:9100?timeout=soon",
        "tcp://127.0.0.1:9100?timeout=0",
        "serial:///dev/ttyUSB0?baud=fast",
        "serial:///dev/ttyUSB0?timeout=-1",
        "cups://Label_Printer?timeout=inf",
    ],
)
def test_a_bad_number_in_a_printer_url_is_an_unsupported_url_naming_it(url: str) -> None:
    with pytest.raises(TransportError) as error:
        make_transport(url)
    name = url.rsplit("?", 1)[1].split("=")[0]
    assert error.value.kind == "unsupported"
    assert f"{name}=" in error.value.message_en
    assert "不支持的打印机地址" in error.value.message_zh


def test_cups_url_names_the_queue_and_may_set_lps_timeout() -> None:
    default = make_transport("cups://Label_Printer")
    tuned = make_transport("cups://Label_Printer?timeout=2.5")
    assert isinstance(default, CupsTransport) and isinstance(tuned, CupsTransport)
    assert (default.queue, default.timeout) == ("Label_Printer", 30.0)
    assert (tuned.queue, tuned.timeout) == ("Label_Printer", 2.5)
