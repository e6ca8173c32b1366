"""Shared fixtures: realistic certificate data and a zxing helper."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image

from printers.model import CertificateLabelData

# Real code URLs are ~160 uppercase alphanumerics (QR version 7-8, alphanumeric mode).
CODE_URL = "HTTP://127.0.0.1:8000/C/" + ("7K2QXW9MBD4TZR6HNV3JPCFG8YS5A" * 5)[:140]


def sample_data(**changes: object) -> CertificateLabelData:
    """A certificate with every field filled, the way a kiosk would send it."""
    fields: dict[str, object] = dict(
        product="黄瓜",
        qr_text=CODE_URL,
        issuer="平邑县绿源果蔬专业合作社",
        date="2026-11-28",
        quantity="5 kg",
        origin="山东省临沂市平邑县地方镇东阳村",
        phone="13800138000",
        basis=("自行检测合格", "委托检测合格"),
        certificate_no="HG20261128000123",
        sequence="3/100",
        reprint=True,
    )
    fields.update(changes)
    return CertificateLabelData(**fields)  # type: ignore[arg-type]


@pytest.fixture
def data() -> CertificateLabelData:
    return sample_data()


def read_qr_texts(image: Image.Image) -> list[str]:
    """Every QR zxing-cpp finds in the image (scaled up ×2 with a white border, like a camera)."""
    gray = image.convert("L")
    framed = Image.new("L", (gray.width + 40, gray.height + 40), 255)
    framed.paste(gray, (20, 20))
    return [
        result.text
        for result in zxingcpp.read_barcodes(
            framed, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    ]
