"""The 60×40 certificate label prints long names whole, as the full certificates do.

It is the certificate a kiosk prints once per job, so a product, origin or producer name is
never cut short with … (the item labels may: their QR leads to the record this label
carries). A long name wraps, shrinks to 2.4 mm and takes more lines; checked on the rendered
label and on what each label printer's bytes decode to (QR with zxing-cpp, the words with
the decoders' text runs, or tesseract where a field went raster).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from printers.drivers import get_driver
from printers.errors import LayoutError
from printers.layouts import build_label
from printers.model import Box, Label, TextElement
from printers.raster import check_fits, fit_text, render_raster
from tests.missing_tools import tool_missing
from tests.printers.conftest import CODE_URL, read_qr_texts, sample_data
from tests.printers.decoders import cpcl, tspl, zpl
from tests.printers.test_layouts import assert_apart, assert_text_inside_boxes

LONG = "平邑县地方镇东阳村绿源有机果蔬种植专业合作社联合社东阳村分社第一生产基地"
CAPTIONS = {"product": "品名：", "origin": "产地：", "issuer": "生产者："}
PROFILES = {"tspl": "tspl-203", "zpl": "zpl-hprt-203", "cpcl": "cpcl-203"}
DECODE = {"tspl": tspl.decode, "zpl": zpl.decode, "cpcl": cpcl.decode}


def hanzi(text: str) -> str:
    return "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")


def ocr_hanzi(image: Image.Image, box: Box) -> str:
    """The Chinese characters tesseract reads in `box` (×3, as a camera close up would)."""
    if shutil.which("tesseract") is None:
        tool_missing("tesseract-ocr not installed")
    crop = image.crop((box.x - 8, box.y - 8, box.right + 8, box.bottom + 8)).convert("L")
    crop = crop.resize((crop.width * 3, crop.height * 3), Image.Resampling.LANCZOS)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "field.png"
        crop.save(path)
        done = subprocess.run(
            ["tesseract", str(path), "-", "-l", "chi_sim", "--psm", "6"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    if "chi_sim" in done.stderr and done.returncode != 0:
        tool_missing("tesseract-ocr-chi-sim not installed")
    return hanzi(done.stdout)


def reads_as(read: str, text: str) -> bool:
    """OCR agrees with `text`: the same length, at most one character in ten misread (a
    2.4 mm 邑 can read as 虽; the pixels themselves are compared exactly elsewhere)."""
    same = sum(a == b for a, b in zip(read, hanzi(text), strict=False))
    return len(read) == len(hanzi(text)) and same >= 0.9 * len(read)


def shown(label: Label, field: str) -> str:
    element = label.element(field)
    assert isinstance(element, TextElement)
    return "".join(fit_text(element).lines)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("field", ["product", "origin", "issuer"])
@pytest.mark.parametrize("length", [22, 30, 40])
def test_a_long_name_prints_whole_wrapped_and_shrunk_never_cut(
    field: str, length: int, dpi: int
) -> None:
    """A name of up to 40 characters (the 60×40 used to refuse past about 20) prints whole."""
    name = LONG[:length]
    label = build_label("label-60x40", sample_data(**{field: name}), dpi)
    check_fits(label)
    element = label.element(field)
    assert isinstance(element, TextElement)
    assert shown(label, field) == CAPTIONS[field] + name and "…" not in shown(label, field)
    assert fit_text(element).size >= round(2.4 * label.media.dots_per_mm)
    assert_text_inside_boxes(label)
    assert_apart(label)
    assert read_qr_texts(render_raster(label)) == [CODE_URL]
    for other in ("quantity", "date", "mark"):  # the rest keeps its 3 mm type
        kept = label.element(other)
        assert isinstance(kept, TextElement) and fit_text(kept).size == kept.size


def test_a_name_wraps_onto_its_second_line_before_it_shrinks() -> None:
    label = build_label("label-60x40", sample_data(product="有机富硒红心猕猴桃"))
    element = label.element("product")
    assert isinstance(element, TextElement)
    fitted = fit_text(element)
    assert len(fitted.lines) == 2 and fitted.size == element.size


def test_the_rendered_long_name_reads_back_whole() -> None:
    name = LONG[:40]
    label = build_label("label-60x40", sample_data(product=name))
    assert reads_as(ocr_hanzi(render_raster(label), label.element("product").box), "品名" + name)


@pytest.mark.parametrize("language", list(PROFILES))
@pytest.mark.parametrize("mode", ["native", "raster"])
@pytest.mark.parametrize("length", [30, 40])
def test_label_printer_bytes_print_every_name_whole(language: str, mode: str, length: int) -> None:
    """A name that no longer fits the resident font's cells goes raster, drawn as the render
    draws it; a name that goes native is sent whole; the QR still scans."""
    name = LONG[:length]
    label = build_label("label-60x40", sample_data(product=name, issuer="张三家庭农场"))
    encoded = get_driver(language, PROFILES[language]).encode(label, mode=mode)  # type: ignore[arg-type]
    decoded = DECODE[language](encoded.data)
    assert read_qr_texts(decoded.image) == [CODE_URL]
    rendered = render_raster(label)
    sent = "".join(decoded.text_strings())
    for field in ("product", "origin", "issuer"):
        whole = shown(label, field)
        box = label.element(field).box
        if encoded.modes[field] == "native":
            assert whole in sent, field
            continue
        region = (box.x, box.y, box.right, box.bottom)
        printed = decoded.image.crop(region).convert("L")
        assert ImageChops.difference(printed, rendered.crop(region).convert("L")).getbbox() is None
    assert encoded.modes["product"] == "raster" or "品名：" + name in sent
    if encoded.modes["product"] == "raster":
        assert reads_as(ocr_hanzi(decoded.image, label.element("product").box), "品名" + name)


def test_a_name_even_2_4_mm_cannot_hold_is_refused_naming_the_field() -> None:
    label = build_label("label-60x40", sample_data(product=LONG * 2))
    with pytest.raises(LayoutError) as error:
        check_fits(label)
    assert error.value.fields == ("product",)
