"""Every driver, both modes: decode the bytes back to paper and scan it.

The decoders in tests/printers/decoders are written from the command manuals and
re-encode native QR commands with segno, so a pass here means a printer following
its manual would print a QR that reads as the certificate URL.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import ImageChops

from printers.drivers import get_driver
from printers.drivers.base import Driver
from printers.layouts import build_label
from printers.model import Label, PrintSettings
from printers.raster import render_raster
from tests.printers.conftest import CODE_URL, read_qr_texts, sample_data
from tests.printers.decoders import Decoded, cpcl, escpos, tspl, zpl

PROFILES = {
    "tspl": "tspl-203",
    "zpl": "zpl-hprt-203",
    "cpcl": "cpcl-203",
    "escpos": "escpos-80",
}
NATIVE_CHARSET = {"tspl": "gbk", "zpl": "utf-8", "cpcl": "gbk", "escpos": "gbk"}
# The layouts each language is really used with: label printers print labels,
# receipt printers print rolls (and ESC/POS native needs elements stacked, not side by side).
LAYOUTS = {
    "tspl": ("item-40x30", "label-60x40", "certificate-80x60"),
    "zpl": ("item-40x30", "label-60x40", "certificate-80x60"),
    "cpcl": ("item-40x30", "label-60x40"),
    "escpos": ("receipt-58", "receipt-80", "item-40x30"),
}


def decoder_for(language: str, label: Label) -> Callable[[bytes], Decoded]:
    return {
        "tspl": lambda data: tspl.decode(data, label.media.dots_per_mm),
        "zpl": lambda data: zpl.decode(data),
        "cpcl": lambda data: cpcl.decode(data),
        "escpos": lambda data: escpos.decode(data, label.media.width_dots),
    }[language]


def driver(language: str) -> Driver:
    return get_driver(language, PROFILES[language])


CASES = [(lang, layout) for lang, layouts in LAYOUTS.items() for layout in layouts]


@pytest.mark.parametrize(("language", "layout"), CASES)
def test_raster_mode_decodes_pixel_identical_to_the_render(language: str, layout: str) -> None:
    label = build_label(layout, sample_data())
    encoded = driver(language).encode(label, mode="raster")
    decoded = decoder_for(language, label)(encoded.data)
    expected = render_raster(label)
    assert decoded.image.size == expected.size
    assert (
        ImageChops.difference(decoded.image.convert("L"), expected.convert("L")).getbbox() is None
    )
    assert set(encoded.modes.values()) == {"raster"}


@pytest.mark.parametrize(("language", "layout"), CASES)
def test_raster_mode_qr_scans_as_the_certificate_url(language: str, layout: str) -> None:
    label = build_label(layout, sample_data())
    decoded = decoder_for(language, label)(driver(language).encode(label, mode="raster").data)
    assert read_qr_texts(decoded.image) == [CODE_URL]


@pytest.mark.parametrize(("language", "layout"), CASES)
def test_native_mode_qr_scans_as_the_certificate_url(language: str, layout: str) -> None:
    label = build_label(layout, sample_data())
    encoded = driver(language).encode(label, mode="native")
    decoded = decoder_for(language, label)(encoded.data)
    assert read_qr_texts(decoded.image) == [CODE_URL]
    if encoded.modes["qr"] == "native":
        assert [q.data for q in decoded.qrs] == [CODE_URL]


@pytest.mark.parametrize("language", list(LAYOUTS))
def test_native_mode_uses_the_printer_qr_command(language: str) -> None:
    label = build_label(LAYOUTS[language][0], sample_data())
    encoded = driver(language).encode(label, mode="native")
    decoded = decoder_for(language, label)(encoded.data)
    assert encoded.modes["qr"] == "native"
    (qr,) = decoded.qrs
    assert qr.module >= 3


@pytest.mark.parametrize("language", list(LAYOUTS))
def test_native_text_is_sent_in_the_printer_charset_and_reads_back(language: str) -> None:
    label = build_label(LAYOUTS[language][0], sample_data(product="黄瓜", issuer="张三家庭农场"))
    encoded = driver(language).encode(label, mode="native")
    decoded = decoder_for(language, label)(encoded.data)
    joined = "".join(decoded.text_strings())
    assert "黄瓜" in joined and "张三家庭农场" in joined and "承诺达" in joined
    for run in decoded.texts:
        assert run.raw.decode(NATIVE_CHARSET[language]) == run.text
        assert run.text.encode("gb2312")  # profiles here trust only GB2312 glyphs or GBK


@pytest.mark.parametrize("language", ["tspl", "cpcl", "escpos"])
def test_native_text_bytes_are_gbk_not_utf8(language: str) -> None:
    label = build_label(LAYOUTS[language][0], sample_data(product="黄瓜"))
    data = driver(language).encode(label, mode="native").data
    assert "黄瓜".encode("gbk") in data
    assert "黄瓜".encode() not in data


@pytest.mark.parametrize("language", list(LAYOUTS))
@pytest.mark.parametrize("product", ["吉𠮷蔬菜", "特价¥5"])
def test_text_outside_the_printer_charset_goes_raster(language: str, product: str) -> None:
    label = build_label(LAYOUTS[language][0], sample_data(product=product))
    encoded = driver(language).encode(label, mode="native")
    decoded = decoder_for(language, label)(encoded.data)
    assert encoded.modes["product"] == "raster"
    assert encoded.modes["issuer"] == "native"
    assert not any(product in run.text for run in decoded.texts)
    assert any("not in" in w for w in encoded.warnings)


def test_raster_fallback_draws_the_rare_character_not_a_box() -> None:
    label = build_label("item-50x30", sample_data(product="𠮷"))
    image = render_raster(label)
    box = label.element("product").box
    glyph = image.crop((box.x, box.y, box.x + box.h, box.bottom))
    notdef = render_raster(build_label("item-50x30", sample_data(product="\U0010fffd")))
    assert (
        ImageChops.difference(
            glyph.convert("L"), notdef.crop((box.x, box.y, box.x + box.h, box.bottom)).convert("L")
        ).getbbox()
        is not None
    )


def test_tspl_bitmap_polarity_is_zero_for_black() -> None:
    label = build_label("item-40x30", sample_data())
    data = driver("tspl").encode(label, mode="raster").data
    start = data.index(b"BITMAP ")
    header = data[start:].split(b",", 5)
    width_bytes, rows = int(header[2]), int(header[3])
    payload_start = start + sum(len(f) + 1 for f in header[:5])
    payload = data[payload_start : payload_start + width_bytes * rows]
    assert payload.count(0xFF) > payload.count(0x00), "mostly white label: mostly 1 bits"


def test_zpl_native_qr_keeps_its_quiet_zone_even_with_the_by_shift() -> None:
    label = build_label("item-40x30", sample_data())
    data = driver("zpl").encode(label, mode="native").data
    for shifted in (False, True):
        decoded = zpl.decode(data, bq_shift=shifted)
        assert read_qr_texts(decoded.image) == [CODE_URL]
        (qr,) = decoded.qrs
        box = label.element("qr").box
        assert qr.y + 45 * qr.module <= box.bottom


def test_escpos_native_receipt_is_far_smaller_than_raster() -> None:
    label = build_label("receipt-58", sample_data())
    native = driver("escpos").encode(label, mode="native").data
    raster = driver("escpos").encode(label, mode="raster").data
    assert len(native) * 10 < len(raster)


def test_copies_are_the_printers_job() -> None:
    label = build_label("item-40x30", sample_data())
    settings = PrintSettings(copies=3)
    assert tspl.decode(driver("tspl").encode(label, settings=settings).data).copies == 3
    assert zpl.decode(driver("zpl").encode(label, settings=settings).data).copies == 3
    assert cpcl.decode(driver("cpcl").encode(label, settings=settings).data).copies == 3


@pytest.mark.parametrize("layout", LAYOUTS["zpl"])
def test_zebra_profiles_send_raster_as_z64_that_decodes_pixel_identical(layout: str) -> None:
    label = build_label(layout, sample_data())
    z64 = get_driver("zpl", "zpl-203").encode(label, mode="raster").data
    hexed = driver("zpl").encode(label, mode="raster").data
    assert b":Z64:" in z64 and b":Z64:" not in hexed
    decoded = zpl.decode(z64)  # checks the CRC and the declared byte count too
    expected = render_raster(label)
    assert (
        ImageChops.difference(decoded.image.convert("L"), expected.convert("L")).getbbox() is None
    )
    assert read_qr_texts(decoded.image) == [CODE_URL]
    assert len(z64) * 4 < len(hexed), "a mostly white label compresses well"


def test_z64_crc_is_crc16_xmodem_of_the_base64_text() -> None:
    label = build_label("item-40x30", sample_data())
    data = get_driver("zpl", "zpl-203").encode(label, mode="raster").data.decode("ascii")
    field = data[data.index(":Z64:") :].split("^FS")[0]
    _, _, encoded, crc = field.split(":")
    assert zpl.crc16_xmodem(b"123456789") == 0x31C3  # the catalogued check value
    assert crc == f"{zpl.crc16_xmodem(encoded.encode('ascii')):04X}"
    flipped = "A" if encoded[10] != "A" else "B"
    with pytest.raises(AssertionError, match="CRC"):
        zpl.graphic_data(f":Z64:{encoded[:10]}{flipped}{encoded[11:]}:{crc}")
