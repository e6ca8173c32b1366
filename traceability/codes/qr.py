"""QR symbols for code URLs: ECC level M, mode chosen by ``qrcode`` (alphanumeric when it can).

Labels are printed at 203 dpi with whole dots per module, so callers pick ``module_px``
(3 dots = 0.375 mm) rather than scaling the PNG.
"""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage

MAX_LABEL_VERSION = 8
"""The largest QR version that still fits a 20 mm label at 203 dpi, 3 dots per module."""


def _symbol(text: str, border: int = 4) -> qrcode.QRCode:
    symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border, box_size=1)
    symbol.add_data(text, optimize=20)  # mixed segments: upper-case runs go alphanumeric
    symbol.make(fit=True)
    return symbol


def qr_version(text: str) -> int:
    """The QR version (1–40) ``text`` needs at ECC M."""
    version = _symbol(text).version
    assert version is not None
    return int(version)


def qr_matrix(text: str, *, border: int = 0) -> list[list[bool]]:
    """Dark (True) / light modules, for label renderers that draw dots themselves."""
    return [list(row) for row in _symbol(text, border).get_matrix()]


def qr_png(text: str, *, module_px: int = 4, border: int = 4) -> bytes:
    """A black-on-white PNG with square ``module_px`` pixels and a ``border``-module quiet zone."""
    if module_px < 1 or border < 0:
        raise ValueError("module_px >= 1 and border >= 0")
    symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border, box_size=module_px)
    symbol.add_data(text, optimize=20)
    symbol.make(fit=True)
    image = symbol.make_image(image_factory=PilImage, fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
