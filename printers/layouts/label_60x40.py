"""The 60×40 mm label: the common TSPL stock, title across the top, fields left, QR right.

It is a certificate (a kiosk prints it once per job, in place of the 80×60 one), so like
the full certificates it prints the product, origin and producer names whole, never cut
short with …: a name first wraps onto its second line and shrinks (down to 2.4 mm); a
longer one takes more lines, every field's box then as tall as its text needs and the
long name set in 3.0, 2.7 or 2.4 mm, the largest at which the column still fits (the
other names keep 3 mm, and so the printer's own font, unless only their shrinking
too makes it fit). Only when
even 2.4 mm does not fit is the label left as first laid out, which cannot be drawn:
`check_fits` then names the field (a LayoutError), and nothing is issued.
"""

from __future__ import annotations

from printers.errors import LayoutError
from printers.layouts.frame import Frame, mark_text
from printers.model import CertificateLabelData, Label, Media
from printers.raster import check_fits

QR_MM = 28.5
COLUMN = (1.5, 0.0, 60 - QR_MM - 0.5 - 1.5 - 0.5)  # left of the QR, full height
NAME_FIELDS = ("product", "origin", "issuer")
NAME_SIZES_MM = (3.0, 2.7, 2.4)  # the names when they need more than their two lines


def _fields(data: CertificateLabelData) -> tuple[tuple[str, str, float], ...]:
    """(name, text, preferred size in mm) down the column; short captions give values room."""
    return (
        ("product", "品名：" + data.product, 3.4),
        ("quantity", "重量：" + data.quantity if data.quantity else "", 3.0),
        ("origin", "产地：" + data.origin if data.origin else "", 3.0),
        ("issuer", "生产者：" + data.issuer, 3.0),
        ("date", "日期：" + data.date, 3.0),
        ("mark", mark_text(data.sequence, data.reprint), 3.0),
    )


def _frame(data: CertificateLabelData, dpi: int) -> tuple[Frame, int]:
    """Title, rule, QR and the number under it; the column's top in dots."""
    f = Frame(Media(60, 40, dpi, gap_mm=2))
    y = f.text("title", data.title, (1.5, 0.8, 57.0), 4.0, align="center")
    y = f.rule("title_rule", 1.5, y + f.dots(0.2), 57.0)
    qr = f.qr("qr", data.qr_text, 60 - QR_MM - 0.5, 6.0, QR_MM)
    under = (60 - QR_MM - 0.5, 0.0, QR_MM)
    number = data.certificate_no
    f.text("certificate_no", number, under, 3.0, align="center", min_mm=2.0, y_dots=qr.bottom)
    return f, y + f.dots(0.4)


def _as_laid_out(data: CertificateLabelData, dpi: int) -> Label:
    """Every name in a two-line box, shrinking to 2.4 mm inside it: what most names need."""
    f, y = _frame(data, dpi)
    for name, text, size_mm in _fields(data):
        lines = 2 if name in NAME_FIELDS else 1
        min_mm = 2.4 if name in NAME_FIELDS else 3.0
        y = f.text(name, text, COLUMN, size_mm, lines=lines, min_mm=min_mm, y_dots=y)
    return f.label("label-60x40")


def _grown(
    data: CertificateLabelData, dpi: int, name_mm: float, *, all_names: bool
) -> Label | None:
    """The long names (more than two lines in 3 mm) set in `name_mm` on as many lines as they
    need, and with `all_names` the others too; every box as tall as its text, the column
    packed. None if the column then runs off the label."""
    f, y = _frame(data, dpi)
    for name, text, size_mm in _fields(data):
        if name not in NAME_FIELDS:
            y = f.text(name, text, COLUMN, size_mm, y_dots=y)
            continue
        fits_in_two = f.lines_needed(text, COLUMN[2], 3.0) <= 2
        field_mm = 3.0 if fits_in_two and not all_names else name_mm
        lines = max(1, f.lines_needed(text, COLUMN[2], field_mm))
        y = f.text(name, text, COLUMN, field_mm, lines=lines, min_mm=field_mm, y_dots=y)
    if y > f.media.height_dots:
        return None
    label = f.label("label-60x40")
    try:
        check_fits(label)
    except LayoutError:
        return None
    return label


def label_60x40(data: CertificateLabelData, dpi: int = 203) -> Label:
    """Short captions (品名/重量/产地/生产者/日期) so values get the width."""
    label = _as_laid_out(data, dpi)
    try:
        check_fits(label)
    except LayoutError as exc:
        if not set(exc.fields) & set(NAME_FIELDS):
            return label  # not a name: growing names cannot help; drawing says what it is
        for name_mm in NAME_SIZES_MM:
            for all_names in (False, True):  # shrink the long name before the short ones
                grown = _grown(data, dpi, name_mm, all_names=all_names)
                if grown is not None:
                    return grown
    return label
