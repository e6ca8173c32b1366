"""Certificate labels: map a certificate and one of its codes onto `printers`' label data.

`printers` knows nothing about certificates; this module is the only bridge.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal

from printers import layouts
from printers.errors import LayoutError, PrinterError, UnknownNameError
from printers.model import CertificateLabelData
from printers.raster import check_fits, render_raster
from traceability.codes import ItemCode as SignedCode
from traceability.codes import code_url
from traceability.errors import DomainError, ValidationFailed
from traceability.lookup.service import mask_phone
from traceability.models import Certificate

DEFAULT_LAYOUT = "certificate-80x60"
# What phone issuing offers: the full certificate and one small label per item code.
PHONE_LAYOUTS = (("certificate-80x60", 203), ("item-40x30", 203))
# A phone's Bluetooth printer may be a 3-inch one (CPCL's widest known prints 72 mm): it gets
# the certificate as the 60×40 label, which phone issuing therefore checks too.
PHONE_NARROW_CERTIFICATE = ("label-60x40", 203)
PHONE_CHECKED_LAYOUTS = (*PHONE_LAYOUTS, PHONE_NARROW_CERTIFICATE)
# What a terminal may print, from printers' own list: once per job the certificate (the
# full one, the 60×40 label or a receipt), and a small label per item code ("item-…").
ITEM_LAYOUTS = tuple(name for name in layouts.LAYOUTS if name.startswith("item-"))
CERTIFICATE_LAYOUTS = tuple(name for name in layouts.LAYOUTS if name not in ITEM_LAYOUTS)
DPIS = layouts.DPIS  # the print heads the layouts are drawn for
_FIELD_NAMES = {
    "product": ("产品名称", "product name"),
    "issuer": ("生产者名称", "producer name"),
    "origin": ("产地", "place of origin"),
}


class LabelUnavailable(DomainError):
    status = 503
    code = "label_unavailable"


class LabelDoesNotFit(ValidationFailed):
    """Some fact is too long to print on this terminal's labels: nothing may be issued."""

    code = "label_does_not_fit"


def does_not_fit(exc: LayoutError) -> LabelDoesNotFit:
    """The person's version of a LayoutError: which registered name to shorten, and who can."""
    names = [_FIELD_NAMES[f] for f in exc.fields if f in _FIELD_NAMES]
    if not names:
        return LabelDoesNotFit(
            f"标签上印不下（{exc.message_zh}），不能开具合格证：请找工作人员处理。",
            f"This does not fit on the label ({exc.message_en}), so no certificate can be "
            "issued: please ask the staff.",
        )
    zh, en = "、".join(n[0] for n in names), " and ".join(n[1] for n in names)
    return LabelDoesNotFit(
        f"{zh}太长，标签上印不下，不能开具合格证：请找乡镇工作人员把登记的{zh}改短。",
        f"The {en} is too long to print on the label, so no certificate can be issued: "
        f"ask the township staff to shorten the registered {en}.",
    )


def check_printable(data: CertificateLabelData, label_layouts: Iterable[tuple[str, int]]) -> None:
    """Refuse now, before anything is issued, if a label of `data` could never print.

    Checked with the widest mark a label can carry (补打 and the last sequence number), so
    a reprint fits too.
    """
    for layout, dpi in label_layouts:
        try:
            check_fits(layouts.build_label(layout, data, dpi))
        except UnknownNameError as exc:
            raise LabelUnavailable(exc.message_zh, exc.message_en, code=exc.code) from exc
        except LayoutError as exc:
            raise does_not_fit(exc) from exc


def check_certificate_printable(
    certificate: Certificate,
    code: SignedCode,
    base_url: str,
    label_layouts: Iterable[tuple[str, int]],
) -> None:
    """`check_printable` for an issued certificate's labels, with its real code URL."""
    count = certificate.item_count
    data = label_data(certificate, code, base_url, sequence=f"{count}/{count}", reprint=True)
    check_printable(data, label_layouts)


def format_quantity(quantity: Decimal, unit: str) -> str:
    text = format(quantity.normalize(), "f") if quantity % 1 else str(int(quantity))
    return f"{text} {unit}"


def label_data(
    certificate: Certificate,
    code: SignedCode | str,
    base_url: str,
    *,
    sequence: str | None = None,
    reprint: bool = False,
    mask_contact: bool = False,
) -> CertificateLabelData:
    phone = mask_phone(certificate.issuer_phone) if mask_contact else certificate.issuer_phone
    return CertificateLabelData(
        product=certificate.product_name,
        qr_text=code_url(base_url, code),
        issuer=certificate.issuer_name,
        date=certificate.issue_date.isoformat(),
        quantity=format_quantity(certificate.quantity, certificate.unit),
        origin=certificate.origin_text,
        phone=phone or "",
        promise=certificate.promise_text,
        basis=tuple(certificate.basis),
        certificate_no=certificate.number,
        sequence=sequence,
        reprint=reprint,
    )


def render_label_png(
    data: CertificateLabelData, layout: str = DEFAULT_LAYOUT, dpi: int = 203
) -> bytes:
    """The 1-bit label as PNG bytes, with the dpi recorded so it prints at true size."""
    if dpi not in layouts.DPIS:
        raise ValidationFailed(
            f"dpi 只能是 {'、'.join(map(str, layouts.DPIS))}。",
            f"dpi must be one of {', '.join(map(str, layouts.DPIS))}.",
            code="invalid_dpi",
        )
    try:
        spec = layouts.get_layout(layout)
        image = render_raster(spec.build(data, dpi))
    except UnknownNameError as exc:
        raise ValidationFailed(exc.message_zh, exc.message_en, code="invalid_layout") from exc
    except LayoutError as exc:
        raise does_not_fit(exc) from exc
    except PrinterError as exc:
        raise LabelUnavailable(exc.message_zh, exc.message_en, code=exc.code) from exc
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()
