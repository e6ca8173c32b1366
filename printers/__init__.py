"""Certificate labels for kiosk printers: data → layout → raster or driver bytes → transport.

Never imports `traceability`: a kiosk agent runs this package alone.

    data = CertificateLabelData(product="黄瓜", qr_text=url, issuer="张三", date="2026-11-28")
    label = build_label("item-40x30", data, dpi=203)
    png = render_png(label)                                   # bytes of a 1-bit PNG
    result = print_label(label, "tcp://10.0.0.5:9100?timeout=5", get_driver("tspl"))
"""

from __future__ import annotations

import io

from printers.drivers import DRIVERS, Driver, EncodeResult, get_driver
from printers.errors import FontNotFoundError, LayoutError, PrinterError, UnknownNameError
from printers.job import PrinterNotReady, PrintResult, print_label, query_status
from printers.layouts import LAYOUTS, build_label, get_layout
from printers.model import CertificateLabelData, Label, Media, PrintSettings
from printers.profiles import PROFILES, PrinterProfile, get_profile
from printers.raster import render_raster
from printers.sheet import render_pdf_sheet
from printers.status import PrinterStatus
from printers.transports import Transport, TransportError, open_transport, register_transport


def render_png(label: Label) -> bytes:
    """The label as PNG bytes (1-bit, at the label's dpi) for previews and downloads."""
    out = io.BytesIO()
    dpi = label.media.dots_per_mm * 25.4
    render_raster(label).save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


__all__ = [
    "DRIVERS",
    "LAYOUTS",
    "PROFILES",
    "CertificateLabelData",
    "Driver",
    "EncodeResult",
    "FontNotFoundError",
    "Label",
    "LayoutError",
    "Media",
    "PrintResult",
    "PrintSettings",
    "PrinterError",
    "PrinterNotReady",
    "PrinterProfile",
    "PrinterStatus",
    "Transport",
    "TransportError",
    "UnknownNameError",
    "build_label",
    "get_driver",
    "get_layout",
    "get_profile",
    "open_transport",
    "print_label",
    "query_status",
    "register_transport",
    "render_pdf_sheet",
    "render_png",
    "render_raster",
]
