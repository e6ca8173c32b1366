"""The 60×40 mm label: the common TSPL stock, title across the top, fields left, QR right."""

from __future__ import annotations

from printers.layouts.frame import Frame, mark_text
from printers.model import CertificateLabelData, Label, Media


def label_60x40(data: CertificateLabelData, dpi: int = 203) -> Label:
    """Short captions (品名/重量/产地/生产者/日期) so values get the width."""
    f = Frame(Media(60, 40, dpi, gap_mm=2))
    y = f.text("title", data.title, (1.5, 0.8, 57.0), 4.0, align="center")
    y = f.rule("title_rule", 1.5, y + f.dots(0.2), 57.0)
    qr = f.qr("qr", data.qr_text, 60 - 28.5 - 0.5, 6.0, 28.5)
    col = (1.5, 0.0, 60 - 28.5 - 0.5 - 1.5 - 0.5)
    y += f.dots(0.4)
    y = f.text("product", "品名：" + data.product, col, 3.4, lines=2, min_mm=2.4, y_dots=y)
    y = f.text("quantity", "重量：" + data.quantity if data.quantity else "", col, 3.0, y_dots=y)
    y = f.text(
        "origin",
        "产地：" + data.origin if data.origin else "",
        col,
        3.0,
        lines=2,
        min_mm=2.4,
        y_dots=y,
    )
    y = f.text("issuer", "生产者：" + data.issuer, col, 3.0, lines=2, min_mm=2.4, y_dots=y)
    y = f.text("date", "日期：" + data.date, col, 3.0, y_dots=y)
    f.text("mark", mark_text(data.sequence, data.reprint), col, 3.0, y_dots=y)
    under = (60 - 28.5 - 0.5, 0.0, 28.5)
    number = data.certificate_no
    f.text("certificate_no", number, under, 3.0, align="center", min_mm=2.0, y_dots=qr.bottom)
    return f.label("label-60x40")
