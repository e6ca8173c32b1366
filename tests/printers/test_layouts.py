"""Layouts: golden PNGs, scannable QR on whole dots with a white quiet zone, text never clipped.

Regenerate the golden PNGs after an intended layout change with

    UPDATE_GOLDEN=1 pytest tests/printers/test_layouts.py

and review the PNG diff in the commit. They are drawn with the font named in
golden/FONT; on a machine whose best CJK font differs the golden comparison skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from printers.errors import FontNotFoundError, LayoutError
from printers.fonts import find_cjk_fonts
from printers.layouts import DPIS, LAYOUTS, build_label
from printers.model import CertificateLabelData, Label, QRElement, TextElement
from printers.raster import fit_text, render_elements, render_raster
from tests.printers.conftest import CODE_URL, read_qr_texts, sample_data

GOLDEN = Path(__file__).parent / "golden"
CASES = [(name, dpi) for name in LAYOUTS for dpi in DPIS]


def font_id() -> str:
    font = find_cjk_fonts()[0]
    return f"{Path(font.path).name}#{font.index}"


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_render_matches_golden_png(layout: str, dpi: int) -> None:
    image = render_raster(build_label(layout, sample_data(), dpi))
    path = GOLDEN / f"{layout}-{dpi}.png"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        image.save(path, optimize=True)
        (GOLDEN / "FONT").write_text(font_id() + "\n")
    if (GOLDEN / "FONT").read_text().strip() != font_id():
        pytest.skip(f"golden PNGs were drawn with {(GOLDEN / 'FONT').read_text().strip()}")
    with Image.open(path) as golden:
        assert golden.mode == "1" and golden.size == image.size
        diff = ImageChops.difference(golden.convert("L"), image.convert("L")).getbbox()
    assert diff is None, f"{layout} @ {dpi} dpi differs from {path.name} in {diff}"


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_render_is_one_bit_and_whole_bytes_wide(layout: str, dpi: int) -> None:
    image = render_raster(build_label(layout, sample_data(), dpi))
    assert image.mode == "1"
    assert image.width % 8 == 0


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_qr_scans_as_the_certificate_url(layout: str, dpi: int) -> None:
    assert read_qr_texts(render_raster(build_label(layout, sample_data(), dpi))) == [CODE_URL]


def measure_qr(image: Image.Image, element: QRElement) -> tuple[int, int, int, int]:
    """(left, top, side, module) of the symbol, measured from pixels: the top-left finder
    pattern's first row is 7 dark modules."""
    box = element.box
    crop = image.crop((box.x, box.y, box.right, box.bottom)).convert("L")
    bbox = crop.point(lambda v: 255 - v).getbbox()
    assert bbox is not None
    left, top, right, bottom = bbox
    run = 0
    while crop.getpixel((left + run, top)) == 0:
        run += 1
    assert run % 7 == 0, f"finder row is {run} dots: modules are not whole dots"
    module = run // 7
    side = right - left
    assert side == bottom - top and side % module == 0
    assert (side // module - 17) % 4 == 0, "side must be 17 + 4·version modules"
    return box.x + left, box.y + top, side, module


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_qr_modules_are_whole_dots_and_big_enough(layout: str, dpi: int) -> None:
    label = build_label(layout, sample_data(), dpi)
    _, _, _, module = measure_qr(render_raster(label), label.element("qr"))  # type: ignore[arg-type]
    assert module >= (3 if dpi == 203 else 4)


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_item_and_receipt_qr_prefer_four_dots_where_it_fits(layout: str, dpi: int) -> None:
    label = build_label(layout, sample_data(), dpi)
    _, _, _, module = measure_qr(render_raster(label), label.element("qr"))  # type: ignore[arg-type]
    if dpi == 203 and layout != "item-40x30":
        assert module >= 4


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_qr_quiet_zone_of_four_modules_is_white(layout: str, dpi: int) -> None:
    label = build_label(layout, sample_data(), dpi)
    image = render_raster(label)
    x, y, side, module = measure_qr(image, label.element("qr"))  # type: ignore[arg-type]
    q = 4 * module
    assert x - q >= 0 and y - q >= 0
    assert x + side + q <= image.width and y + side + q <= image.height
    zone = image.crop((x - q, y - q, x + side + q, y + side + q)).convert("L")
    zone.paste(255, (q, q, q + side, q + side))
    assert zone.getextrema() == (255, 255)


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_every_text_stays_inside_its_box(layout: str, dpi: int) -> None:
    assert_text_inside_boxes(build_label(layout, sample_data(), dpi))


def assert_text_inside_boxes(label: Label) -> None:
    for element in label.elements:
        if isinstance(element, TextElement) and element.text:
            alone = render_elements(label.media, [element]).convert("L")
            left, top, right, bottom = alone.point(lambda v: 255 - v).getbbox() or (0, 0, 0, 0)
            box = element.box
            assert box.x <= left and right <= box.right, element.name
            assert box.y <= top and bottom <= box.bottom, element.name


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_elements_do_not_overlap(layout: str, dpi: int) -> None:
    assert_apart(build_label(layout, sample_data(), dpi))


def assert_apart(label: Label) -> None:
    boxes = [
        (el.name, el.box)
        for el in label.elements
        if not (isinstance(el, TextElement) and not el.text)
    ]
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1 :]:
            apart = a.right <= b.x or b.right <= a.x or a.bottom <= b.y or b.bottom <= a.y
            assert apart, f"{name_a} overlaps {name_b}"


def test_long_product_name_wraps_before_it_shrinks() -> None:
    label = build_label("item-50x30", sample_data(product="有机富硒红心猕猴桃"))
    product = label.element("product")
    assert isinstance(product, TextElement)
    fitted = fit_text(product)
    assert len(fitted.lines) == 2
    assert "".join(fitted.lines) == "有机富硒红心猕猴桃"


def test_long_issuer_shrinks_to_fit_rather_than_clip() -> None:
    label = build_label("item-50x30", sample_data(issuer="平邑县地方镇绿源果蔬专业合作社"))
    issuer = label.element("issuer")
    assert isinstance(issuer, TextElement)
    assert fit_text(issuer).size < issuer.size


def test_text_that_cannot_fit_is_an_error_not_a_clipped_label() -> None:
    label = build_label("label-60x40", sample_data(product="超长品名" * 20))
    with pytest.raises(LayoutError) as error:
        render_raster(label)
    assert "放不下" in error.value.message_zh and "does not fit" in error.value.message_en
    assert error.value.fields == ("product",)


@pytest.mark.parametrize("layout", ["item-40x30", "item-50x30"])
@pytest.mark.parametrize("field", ["product", "issuer"])
def test_an_item_label_cuts_a_long_name_short_with_an_ellipsis(layout: str, field: str) -> None:
    """The small label shows the start of the name and …; its QR leads to the whole record."""
    name = "平邑县地方镇东阳村绿源有机果蔬种植专业合作社联合社" * 4
    label = build_label(layout, sample_data(**{field: name}))
    element = label.element(field)
    assert isinstance(element, TextElement)
    shown = "".join(fit_text(element).lines)
    assert shown.endswith("…") and name.startswith(shown[:-1]) and len(shown) > 5
    assert render_raster(label).size == (label.media.width_dots, label.media.height_dots)


@pytest.mark.parametrize("layout", ["certificate-80x60", "certificate-100x70"])
@pytest.mark.parametrize("field", ["product", "issuer", "origin"])
def test_the_full_certificate_prints_a_long_name_whole(layout: str, field: str) -> None:
    """A 40-character name (the tester's 26+ failed) wraps onto more lines, then shrinks."""
    name = "平邑县地方镇东阳村绿源有机果蔬种植专业合作社联合社东阳村分社第一生产基地"[:40]
    data = sample_data(
        **{field: name}, basis=("质量安全控制符合要求", "自行检测合格", "委托检测合格")
    )
    label = build_label(layout, data)
    element = label.element(field)
    assert isinstance(element, TextElement)
    fitted = fit_text(element)
    assert name in "".join(fitted.lines) and fitted.size >= round(2.4 * 8)
    render_raster(label)
    assert_text_inside_boxes(label)
    assert_apart(label)


def test_a_name_too_long_even_for_the_full_certificate_says_which_field() -> None:
    with pytest.raises(LayoutError) as error:
        build_label("certificate-80x60", sample_data(issuer="长" * 200))
    assert error.value.fields == ("issuer",)
    assert "生产者太长" in error.value.message_zh and "issuer" in error.value.message_en


def test_a_url_too_long_for_the_label_is_an_error() -> None:
    label = build_label("item-40x30", sample_data(qr_text="HTTP://X/" + "A" * 600))
    with pytest.raises(LayoutError, match="QR code"):
        render_raster(label)


def test_reprint_and_sequence_are_printed() -> None:
    label = build_label("item-40x30", sample_data(reprint=True, sequence="3/100"))
    mark = label.element("mark")
    assert isinstance(mark, TextElement) and mark.text == "补打 3/100"
    plain = build_label("item-40x30", sample_data(reprint=False, sequence=None))
    assert plain.element("mark").text == ""  # type: ignore[union-attr]


def test_missing_font_is_a_clear_bilingual_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTERS_CJK_FONT", "/nonexistent/font.ttf")
    find_cjk_fonts.cache_clear()
    try:
        with pytest.raises(FontNotFoundError) as error:
            find_cjk_fonts()
        assert "字体" in error.value.message_zh and "font" in error.value.message_en
    finally:
        monkeypatch.delenv("PRINTERS_CJK_FONT")
        find_cjk_fonts.cache_clear()


def test_font_override_env_var_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    wqy = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    if not Path(wqy).exists():
        pytest.skip("fonts-wqy-microhei not installed")
    monkeypatch.setenv("PRINTERS_CJK_FONT", wqy)
    find_cjk_fonts.cache_clear()
    try:
        assert find_cjk_fonts()[0].path == wqy
    finally:
        monkeypatch.delenv("PRINTERS_CJK_FONT")
        find_cjk_fonts.cache_clear()


@pytest.mark.parametrize("name", ["certificate-80x60", "certificate-100x70", "label-60x40"])
@pytest.mark.parametrize("dpi", [203, 300])
def test_a_real_certificate_number_with_a_reprint_mark_fits(name: str, dpi: int) -> None:
    """Numbers look like HGZ20261129-TANNPYPRFH (22 characters) and share a row with 补打 3/100."""
    data = CertificateLabelData(
        product="黄瓜",
        qr_text="HTTP://127.0.0.1:8000/C/" + "A" * 26 + ".ABCD." + "B" * 103,
        issuer="青禾绿源蔬菜有限公司",
        date="2026-11-29",
        quantity="50 kg",
        origin="青禾县（演示）城关街道东关村",
        phone="13912345678",
        basis=("质量安全控制符合要求",),
        certificate_no="HGZ20261129-TANNPYPRFH",
        sequence="100/100",
        reprint=True,
    )
    image = render_raster(build_label(name, data, dpi))
    assert image.size[0] > 0
