"""Which layouts each printer language can print: the paper it holds, and how wide it is.

The server checks a kiosk's layouts against its printer language with this, so it must
follow from the layouts and profiles themselves, never from a list kept beside them.
"""

from __future__ import annotations

import pytest

from printers.drivers import DRIVERS, printable_layouts, widest_paper_mm
from printers.layouts import DPIS, LAYOUTS, build_label
from tests.printers.conftest import sample_data


@pytest.mark.parametrize("name", list(LAYOUTS))
@pytest.mark.parametrize("dpi", DPIS)
def test_a_layouts_declared_paper_is_the_paper_it_draws_on(name: str, dpi: int) -> None:
    spec = LAYOUTS[name]
    media = build_label(name, sample_data(), dpi).media
    assert (media.kind, media.width_mm) == (spec.media, spec.width_mm)


def test_label_printers_print_labels_and_no_receipts() -> None:
    for language in ("tspl", "zpl", "cpcl"):
        printable = printable_layouts(language)
        assert "item-40x30" in printable and "label-60x40" in printable
        assert not {"receipt-58", "receipt-80"} & set(printable)


def test_a_receipt_printer_prints_receipts_and_slips_no_wider_than_its_roll() -> None:
    printable = printable_layouts("escpos")
    assert {"receipt-58", "receipt-80", "item-40x30"} <= set(printable)
    assert widest_paper_mm("escpos") == 72
    assert not {"certificate-80x60", "certificate-100x70"} & set(printable)


def test_four_inch_label_printers_print_the_full_certificates() -> None:
    for language in ("tspl", "zpl"):
        assert {"certificate-80x60", "certificate-100x70"} <= set(printable_layouts(language))


def test_every_driver_can_print_some_certificate_and_some_item_layout() -> None:
    for language in DRIVERS:
        printable = printable_layouts(language)
        assert any(name.startswith("item-") for name in printable), language
        assert any(not name.startswith("item-") for name in printable), language


def test_an_unknown_language_prints_nothing() -> None:
    assert printable_layouts("epson") == ()
