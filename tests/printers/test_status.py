"""Status parsing per language, and print_label's before/after checks against a FakePrinter."""

from __future__ import annotations

import pytest

from printers.drivers import get_driver
from printers.job import PrinterNotReady, PrintResult, print_label, query_status
from printers.layouts import build_label
from printers.model import Label
from printers.status import parse_escpos, parse_tspl, parse_zpl_hs
from printers.testing import FakePrinter, status_reply
from printers.transports import TransportError, open_transport
from tests.printers.conftest import sample_data

LANGUAGES = ["tspl", "zpl", "escpos"]


@pytest.fixture
def label() -> Label:
    return build_label("item-40x30", sample_data())


@pytest.mark.parametrize(
    ("byte", "state", "reasons"),
    [
        (0x00, "ready", set()),
        (0x01, "fault", {"cover-open"}),
        (0x04, "fault", {"media-empty"}),
        (0x05, "fault", {"cover-open", "media-empty"}),
        (0x08, "fault", {"marker-supply-empty"}),
        (0x10, "paused", {"paused"}),
        (0x20, "printing", set()),
    ],
)
def test_tspl_status_byte(byte: int, state: str, reasons: set[str]) -> None:
    status = parse_tspl(bytes([byte]))
    assert status.state == state and status.reasons == reasons


def test_zpl_host_status_paper_out_and_head_up() -> None:
    reply = status_reply("zpl", b"~HS", "paper_out", printing=False)
    assert parse_zpl_hs(reply).reasons == {"media-empty"}
    reply = status_reply("zpl", b"~HS", "head_open", printing=False)
    assert parse_zpl_hs(reply).reasons == {"cover-open"}
    assert parse_zpl_hs(status_reply("zpl", b"~HS", "ready", printing=True)).state == "printing"


def test_zpl_garbage_is_unknown_not_ready() -> None:
    assert parse_zpl_hs(b"\x02hello\x03").state == "unknown"


def test_escpos_dle_eot_paper_end_and_cover_open() -> None:
    assert parse_escpos(b"\x12\x12\x12").state == "ready"
    assert parse_escpos(b"\x1a\x32\x72").reasons == {"media-empty"}
    assert parse_escpos(b"\x1a\x16\x12").reasons == {"cover-open"}
    assert parse_escpos(b"\x12\x12\x1e").reasons == {"media-low"}
    assert parse_escpos(b"\x12\x12\x1e").state == "ready"


def test_escpos_invalid_pattern_is_unknown() -> None:
    assert parse_escpos(b"\xff\x00\x00").state == "unknown"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("state", "reason"), [("paper_out", "media-empty"), ("head_open", "cover-open")]
)
def test_fake_printer_state_is_read_back(language: str, state: str, reason: str) -> None:
    printer = FakePrinter(language, state=state)  # type: ignore[arg-type]
    with printer, open_transport(printer.url) as transport:
        status = query_status(transport, get_driver(language))
    assert reason in status.reasons and not status.ready


@pytest.mark.parametrize("language", LANGUAGES)
def test_paper_out_refuses_the_job_and_sends_nothing(language: str, label: Label) -> None:
    driver = get_driver(language)
    with FakePrinter(language, state="paper_out") as printer:
        with pytest.raises(PrinterNotReady) as error:
            print_label(label, printer.url, driver)
        assert printer.received == driver.status_request()
        assert printer.jobs == 0
    assert error.value.reasons >= {"media-empty"}
    assert "请装纸" in error.value.message_zh and "out of paper" in error.value.message_en
    assert isinstance(error.value.result, PrintResult)
    assert error.value.result.outcome == "failed_before_send"
    assert error.value.result.bytes_sent == 0


@pytest.mark.parametrize("language", ["tspl", "zpl"])
def test_ready_printer_prints_and_the_status_round_trip_proves_it(
    language: str, label: Label
) -> None:
    driver = get_driver(language)
    with FakePrinter(language) as printer:
        result = print_label(label, printer.url, driver)
        job = driver.encode(label).data
        assert printer.jobs == 1
        assert job in printer.received
    assert result.outcome == "printed"
    assert result.status_before is not None and result.status_before.state == "ready"
    assert result.status_after is not None and result.status_after.state == "ready"
    assert result.bytes_sent == len(job)


def test_escpos_without_completion_report_is_only_sent(label: Label) -> None:
    with FakePrinter("escpos") as printer:
        result = print_label(label, printer.url, get_driver("escpos"))
    assert result.outcome == "sent"


def test_cpcl_has_no_status_so_the_job_is_just_sent(label: Label) -> None:
    driver = get_driver("cpcl")
    with FakePrinter("cpcl") as printer:
        result = print_label(label, printer.url, driver)
        assert printer.wait_for_bytes(len(driver.encode(label).data)) == driver.encode(label).data
    assert result.outcome == "sent" and result.status_before is None


def test_printer_that_never_answers_status_fails_before_sending(label: Label) -> None:
    with FakePrinter("tspl", behaviour="mute") as printer:
        with pytest.raises(TransportError) as error:
            print_label(label, printer.url, get_driver("tspl"), status_timeout=0.3)
        assert printer.jobs == 0
    assert error.value.kind == "timeout"
    assert error.value.result.outcome == "failed_before_send"  # type: ignore[attr-defined]


def test_unreachable_printer_fails_before_sending(label: Label) -> None:
    with FakePrinter(behaviour="refuse") as printer, pytest.raises(TransportError) as error:
        print_label(label, printer.url, get_driver("tspl"))
    assert error.value.kind == "refused"


def test_fault_after_sending_makes_the_outcome_uncertain(label: Label) -> None:
    driver = get_driver("tspl")
    with FakePrinter("tspl") as printer, open_transport(printer.url) as transport:
        original = transport.write

        def write_then_jam(data: bytes) -> None:
            original(data)
            if data.endswith(b"\r\n") and b"PRINT" in data:
                printer.wait_for(lambda p: p.jobs == 1)
                printer.set_state("paper_out")

        transport.write = write_then_jam  # type: ignore[method-assign]
        result = print_label(label, transport, driver)
    assert result.outcome == "uncertain"
    assert result.status_after is not None and "media-empty" in result.status_after.reasons


def test_status_check_can_be_skipped_for_one_way_printers(label: Label) -> None:
    with FakePrinter("tspl", state="paper_out") as printer:
        result = print_label(label, printer.url, get_driver("tspl"), check_status=False)
        assert printer.wait_for(lambda p: p.jobs == 1)
    assert result.outcome == "sent"
