"""Item labels (40×30 and 50×30 mm): the small per-package label with QR and title beside it.

Only what a buyer needs at a glance (domain.md §3.3): 承诺达标合格证, product,
issuer, date, the QR; the full certificate travels with the batch. A product or
producer name too long for the small label shrinks to 2.4 mm and is then cut short
with … (the QR leads to the whole record); the full certificate prints it whole.
"""

from __future__ import annotations

from typing import Any

from printers.layouts.frame import Frame, mark_text
from printers.model import CertificateLabelData, Label, Media

_SHORTENED: dict[str, Any] = {"min_mm": 2.4, "overflow": "ellipsis"}


def item_40x30(data: CertificateLabelData, dpi: int = 203) -> Label:
    """QR top-left (3 dots/module for a ~160-char URL), date and 补打/sequence under it."""
    f = Frame(Media(40, 30, dpi, gap_mm=2))
    qr = f.qr("qr", data.qr_text, 0.5, 0.5, 21.5)
    col = (22.5, 0.5, 16.5)
    y = f.text("title", data.title, col, 3.4, lines=2)
    y = f.text("product", data.product, col, 3.2, lines=2, **_SHORTENED, y_dots=y)
    f.text("issuer", data.issuer, col, 3.0, lines=3, **_SHORTENED, y_dots=y)
    under = (1.0, 0.0, 20.5)
    y = f.text("date", data.date, under, 3.0, y_dots=qr.bottom + f.dots(0.5))
    f.text("mark", mark_text(data.sequence, data.reprint), under, 3.0, y_dots=y)
    return f.label("item-40x30")


def item_50x30(data: CertificateLabelData, dpi: int = 203) -> Label:
    """QR on the left at 4 dots/module (0.5 mm), all text in one column beside it."""
    f = Frame(Media(50, 30, dpi, gap_mm=2))
    f.qr("qr", data.qr_text, 0.5, 0.5, 28.5)
    col = (29.5, 0.5, 20.0)
    y = f.text("title", data.title, col, 3.2, lines=2)
    y = f.text("product", data.product, col, 3.0, lines=2, **_SHORTENED, y_dots=y)
    y = f.text("issuer", data.issuer, col, 3.0, lines=2, **_SHORTENED, y_dots=y)
    y = f.text("date", data.date, col, 3.0, y_dots=y)
    f.text("mark", mark_text(data.sequence, data.reprint), col, 3.0, y_dots=y)
    return f.label("item-50x30")
