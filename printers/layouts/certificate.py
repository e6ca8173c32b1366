"""Full certificates (80×60 and 100×70 mm): every field of the 2025 Order, promise, basis, QR.

One drawing scaled by a factor: 80×60 is the reference, 100×70 uses 7/6 of every
size and the extra width for longer field lines.

Every fact the Order requires is printed whole, never cut short: a long product,
origin or producer name takes more lines (beside the QR, then across the label below
it), then a smaller size (down to 2.4 mm for these name fields). Only when even that
does not fit is it a LayoutError, naming the fields, so the issue is refused before
anything is issued.
"""

from __future__ import annotations

from printers.errors import LayoutError
from printers.layouts.frame import Frame, mark_text
from printers.model import CertificateLabelData, Label, Media

NAME_FIELDS = ("product", "origin", "issuer")
NAME_SIZES_MM = (3.0, 2.7, 2.4)  # at k = 1; the name fields shrink, the rest stays 3 mm
CAPTIONS = {"product": "产品名称", "origin": "产地", "issuer": "生产者"}


def _certificate_at(
    data: CertificateLabelData, media: Media, k: float, name: str, name_mm: float
) -> tuple[Label | None, tuple[str, ...]]:
    """The label with name fields at `name_mm`, or None and the fields that grew past their room."""
    f = Frame(media)
    width = media.width_mm
    margin = 2.0 * k
    y = f.text("title", data.title, (margin, 1.5 * k, width - 2 * margin), 5.0 * k, align="center")
    y = f.rule("title_rule", margin, y + f.dots(0.3), width - 2 * margin)
    qr_side = 30.0 * k
    qr = f.qr("qr", data.qr_text, width - qr_side - 1.0, 8.5 * k, qr_side)
    beside = (margin, 0.0, width - qr_side - 1.0 - margin - 1.0)
    full = (margin, 0.0, width - 2 * margin)
    size = 3.0 * k
    grown: list[str] = []
    y += f.dots(0.6 * k)
    for field_name, caption, value, room in (
        ("product", "产品名称：", data.product, 2),
        ("quantity", "数量（重量）：", data.quantity, 1),
        ("origin", "产地：", data.origin, 2),
        ("issuer", "生产者：", data.issuer, 2),
        ("phone", "联系方式：", data.phone, 1),
        ("date", "开具日期：", data.date, 1),
    ):
        column = beside if y < qr.bottom else full  # below the QR a field takes the whole width
        field_mm = name_mm if field_name in NAME_FIELDS else size
        lines = f.lines_needed(caption + value, column[2], field_mm)
        if lines > room:
            grown.append(field_name)
        y = f.text(field_name, caption + value, column, field_mm, lines=max(room, lines), y_dots=y)
    y = max(y, qr.bottom) + f.dots(0.4 * k)
    y = f.text(
        "promise",
        data.promise,
        full,
        size,
        lines=max(3, f.lines_needed(data.promise, full[2], size)),
        y_dots=y,
    )
    basis = "承诺依据：" + "、".join(data.basis) if data.basis else ""
    y = f.text(
        "basis", basis, full, size, lines=max(1, f.lines_needed(basis, full[2], size)), y_dots=y
    )
    number = "编号：" + data.certificate_no if data.certificate_no else ""
    half = (width - 2 * margin) * 0.74  # room for a 22-character certificate number
    f.text("certificate_no", number, (margin, 0.0, half), size, y_dots=y)
    mark = mark_text(data.sequence, data.reprint)
    right = (margin + half, 0.0, width - 2 * margin - half)
    bottom = f.text("mark", mark, right, size, align="right", y_dots=y)
    if bottom > media.height_dots:
        return None, tuple(grown)
    return f.label(name), ()


def _certificate(data: CertificateLabelData, media: Media, k: float, name: str) -> Label:
    grown: tuple[str, ...] = ()
    for name_mm in NAME_SIZES_MM:
        label, grown = _certificate_at(data, media, k, name, name_mm * k)
        if label is not None:
            return label
    fields = tuple(field for field in NAME_FIELDS if field in grown) or ("basis",)
    captions = "、".join(CAPTIONS.get(field, "承诺依据") for field in fields)
    raise LayoutError(
        f"{captions}太长，{media.width_mm:g}×{media.height_mm:g} 毫米的合格证上印不下",
        f"{', '.join(fields)} too long for the {media.width_mm:g}×{media.height_mm:g} mm "
        "certificate even in 2.4 mm type",
        fields=fields,
    )


def certificate_80x60(data: CertificateLabelData, dpi: int = 203) -> Label:
    """The recommended full certificate for a 4-inch label printer (domain.md §3.3)."""
    return _certificate(data, Media(80, 60, dpi, gap_mm=3), 1.0, "certificate-80x60")


def certificate_100x70(data: CertificateLabelData, dpi: int = 203) -> Label:
    """The larger full certificate: same drawing, 7/6 the size."""
    return _certificate(data, Media(100, 70, dpi, gap_mm=3), 7 / 6, "certificate-100x70")
