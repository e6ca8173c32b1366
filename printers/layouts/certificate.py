"""Full certificates (80×60 and 100×70 mm): every field of the 2025 Order, promise, basis, QR.

One drawing scaled by a factor: 80×60 is the reference, 100×70 uses 7/6 of every
size and the extra width for longer field lines.
"""

from __future__ import annotations

from printers.layouts.frame import Frame, mark_text
from printers.model import CertificateLabelData, Label, Media


def _certificate(data: CertificateLabelData, media: Media, k: float, name: str) -> Label:
    f = Frame(media)
    width = media.width_mm
    margin = 2.0 * k
    y = f.text("title", data.title, (margin, 1.5 * k, width - 2 * margin), 5.0 * k, align="center")
    y = f.rule("title_rule", margin, y + f.dots(0.3), width - 2 * margin)
    qr_side = 30.0 * k
    qr = f.qr("qr", data.qr_text, width - qr_side - 1.0, 8.5 * k, qr_side)
    col = (margin, 0.0, width - qr_side - 1.0 - margin - 1.0)
    size = 3.0 * k
    y += f.dots(0.6 * k)
    for field_name, caption, value, lines in (
        ("product", "产品名称：", data.product, 2),
        ("quantity", "数量（重量）：", data.quantity, 1),
        ("origin", "产地：", data.origin, 2),
        ("issuer", "生产者：", data.issuer, 2),
        ("phone", "联系方式：", data.phone, 1),
        ("date", "开具日期：", data.date, 1),
    ):
        y = f.text(field_name, caption + value, col, size, lines=lines, y_dots=y)
    full = (margin, 0.0, width - 2 * margin)
    y = max(y, qr.bottom) + f.dots(0.4 * k)
    y = f.text("promise", data.promise, full, size, lines=3, y_dots=y)
    basis = "承诺依据：" + "、".join(data.basis) if data.basis else ""
    y = f.text("basis", basis, full, size, y_dots=y)
    number = "编号：" + data.certificate_no if data.certificate_no else ""
    half = (width - 2 * margin) * 0.74  # room for a 22-character certificate number
    f.text("certificate_no", number, (margin, 0.0, half), size, y_dots=y)
    mark = mark_text(data.sequence, data.reprint)
    right = (margin + half, 0.0, width - 2 * margin - half)
    f.text("mark", mark, right, size, align="right", y_dots=y)
    return f.label(name)


def certificate_80x60(data: CertificateLabelData, dpi: int = 203) -> Label:
    """The recommended full certificate for a 4-inch label printer (domain.md §3.3)."""
    return _certificate(data, Media(80, 60, dpi, gap_mm=3), 1.0, "certificate-80x60")


def certificate_100x70(data: CertificateLabelData, dpi: int = 203) -> Label:
    """The larger full certificate: same drawing, 7/6 the size."""
    return _certificate(data, Media(100, 70, dpi, gap_mm=3), 7 / 6, "certificate-100x70")
