"""Certificate labels: map a certificate and one of its codes onto `printers`' label data.

`printers` knows nothing about certificates; this module is the only bridge.
"""

from __future__ import annotations

import io
from decimal import Decimal

from printers import layouts
from printers.errors import LayoutError, PrinterError, UnknownNameError
from printers.model import CertificateLabelData
from printers.raster import render_raster
from traceability.codes import ItemCode as SignedCode
from traceability.codes import code_url
from traceability.errors import DomainError, ValidationFailed
from traceability.lookup.service import mask_phone
from traceability.models import Certificate

DEFAULT_LAYOUT = "certificate-80x60"


class LabelUnavailable(DomainError):
    status = 503
    code = "label_unavailable"


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
        raise ValidationFailed(exc.message_zh, exc.message_en, code="label_does_not_fit") from exc
    except PrinterError as exc:
        raise LabelUnavailable(exc.message_zh, exc.message_en, code=exc.code) from exc
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()
