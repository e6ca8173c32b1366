"""The `printers` command, run in-process against a FakePrinter."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from printers import build_label, render_pdf_sheet, render_png
from printers.cli import main
from printers.testing import FakePrinter
from tests.printers.conftest import CODE_URL, read_qr_texts, sample_data


def test_print_sends_a_label_and_reports_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with FakePrinter("tspl") as printer:
        code = main(
            [
                "print",
                "--printer",
                printer.url,
                "--driver",
                "tspl",
                "--layout",
                "item-40x30",
                "--qr",
                CODE_URL,
                "--product",
                "黄瓜",
                "--issuer",
                "张三",
                "--date",
                "2026-11-28",
            ]
        )
        assert printer.jobs == 1
        assert "黄瓜".encode("gbk") in printer.received
    assert code == 0
    assert capsys.readouterr().out.startswith("printed:")


def test_print_raster_mode_sends_a_bitmap() -> None:
    with FakePrinter("zpl") as printer:
        main(
            [
                "print",
                "--printer",
                printer.url,
                "--driver",
                "zpl",
                "--mode",
                "raster",
                "--qr",
                CODE_URL,
                "--product",
                "黄瓜",
            ]
        )
        assert b"^GFA," in printer.received and b"^BQN" not in printer.received


def test_print_on_paper_out_exits_2_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    with FakePrinter("tspl", state="paper_out") as printer:
        code = main(["print", "--printer", printer.url, "--driver", "tspl", "--qr", CODE_URL])
    assert code == 2
    assert "请装纸" in capsys.readouterr().err


def test_unreachable_printer_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    with FakePrinter(behaviour="refuse") as printer:
        code = main(["test-page", "--printer", printer.url, "--driver", "escpos"])
    assert code == 3
    assert "refused" in capsys.readouterr().err


def test_test_page_prints_sample_data() -> None:
    with FakePrinter("tspl") as printer:
        assert main(["test-page", "--printer", printer.url, "--driver", "tspl"]) == 0
        assert "测试页".encode("gbk") in printer.received


def test_status_reports_head_open(capsys: pytest.CaptureFixture[str]) -> None:
    with FakePrinter("zpl", state="head_open") as printer:
        code = main(["status", printer.url, "--driver", "zpl"])
    assert code == 2
    assert "打印头" in capsys.readouterr().out


def test_render_writes_a_scannable_png(tmp_path: Path) -> None:
    out = tmp_path / "label.png"
    assert main(["render", "--layout", "label-60x40", "--qr", CODE_URL, "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert read_qr_texts(image) == [CODE_URL]


def test_lists_drivers_and_layouts(capsys: pytest.CaptureFixture[str]) -> None:
    main(["drivers"])
    main(["layouts"])
    out = capsys.readouterr().out
    for name in ("tspl", "zpl", "cpcl", "escpos", "item-40x30", "receipt-58", "tspl-203"):
        assert name in out


def test_help_explains_printer_urls(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["print", "--help"])
    assert "tcp://host:9100" in capsys.readouterr().out


def test_render_png_is_one_bit_at_the_label_dpi() -> None:
    with Image.open(io.BytesIO(render_png(build_label("item-40x30", sample_data())))) as image:
        assert image.mode == "1" and image.size == (320, 240)
        assert round(image.info["dpi"][0]) == 203


def test_a4_pdf_sheet_holds_many_item_labels_over_pages() -> None:
    labels = [build_label("item-40x30", sample_data(sequence=f"{i}/40"), 300) for i in range(1, 41)]
    pdf = render_pdf_sheet(labels)
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") >= 2
