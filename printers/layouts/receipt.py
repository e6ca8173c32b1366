"""Continuous receipts (58 and 80 mm rolls): everything stacked, length follows the content.

Receipt printers print 48 mm of a 58 mm roll and 72 mm of an 80 mm roll. Each text
block is measured (wrapped and fitted) so the receipt is exactly as long as it needs.
"""

from __future__ import annotations

from dataclasses import replace

from printers.layouts.frame import Frame, mark_text
from printers.model import Box, CertificateLabelData, Label, Media, TextElement
from printers.raster import fit_text


def _shrink_to_fit(frame: Frame) -> int:
    """Trim the last text box to the lines it really uses; returns its new bottom."""
    element = frame.elements[-1]
    assert isinstance(element, TextElement)
    if not element.text:
        frame.elements.pop()
        return element.box.y
    fitted = fit_text(element)
    box = Box(element.box.x, element.box.y, element.box.w, fitted.height)
    frame.elements[-1] = replace(element, box=box)
    return box.bottom


def _receipt(data: CertificateLabelData, width_mm: float, dpi: int, name: str) -> Label:
    roll = Media(width_mm, 1000, dpi, gap_mm=0, kind="continuous")
    f = Frame(roll)
    w = width_mm
    margin = 1.0
    full = (margin, 0.0, w - 2 * margin)
    f.text("title", data.title, full, 5.0, align="center", y_dots=f.dots(2))
    y = _shrink_to_fit(f)
    f.text("mark", mark_text(data.sequence, data.reprint), full, 3.5, align="center", y_dots=y)
    y = _shrink_to_fit(f)
    y = f.rule("title_rule", margin, y + f.dots(0.5), w - 2 * margin) + f.dots(1)
    for field_name, caption, value in (
        ("product", "产品名称：", data.product),
        ("quantity", "数量（重量）：", data.quantity),
        ("origin", "产地：", data.origin),
        ("issuer", "生产者：", data.issuer),
        ("phone", "联系方式：", data.phone),
        ("date", "开具日期：", data.date),
    ):
        f.text(field_name, caption + value if value else "", full, 3.0, lines=12, y_dots=y)
        y = _shrink_to_fit(f)
    side = min(w - 2 * margin, 40.0)
    y = f.qr("qr", data.qr_text, (w - side) / 2, 0.0, side, y_dots=y + f.dots(1)).bottom
    number = "编号：" + data.certificate_no if data.certificate_no else ""
    f.text("certificate_no", number, full, 3.0, lines=2, align="center", y_dots=y)
    y = _shrink_to_fit(f) + f.dots(1)
    f.text("promise", data.promise, full, 3.0, lines=8, y_dots=y)
    y = _shrink_to_fit(f)
    basis = "承诺依据：" + "、".join(data.basis) if data.basis else ""
    f.text("basis", basis, full, 3.0, lines=4, y_dots=y)
    y = _shrink_to_fit(f) + f.dots(4)
    f.media = replace(roll, height_mm=y / roll.dots_per_mm)
    return f.label(name)


def receipt_58(data: CertificateLabelData, dpi: int = 203) -> Label:
    """58 mm roll (384 dots at 203 dpi), the common kiosk receipt printer."""
    return _receipt(data, 48.0, dpi, "receipt-58")


def receipt_80(data: CertificateLabelData, dpi: int = 203) -> Label:
    """80 mm roll (576 dots at 203 dpi)."""
    return _receipt(data, 72.0, dpi, "receipt-80")
