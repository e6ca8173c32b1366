"""QR images decode (with zxing-cpp, as a phone would) to the exact URL, at version <= 8."""

from __future__ import annotations

import io
from typing import cast

import pytest
import zxingcpp
from PIL import Image

from traceability.codes import (
    ItemCode,
    code_url,
    gs1_digital_link_url,
    qr_matrix,
    qr_png,
    qr_version,
)
from traceability.codes.qr import MAX_LABEL_VERSION


def _extra(barcode: zxingcpp.Barcode) -> dict[str, str]:
    return cast(dict[str, str], barcode.extra)


def _decode(png: bytes) -> list[zxingcpp.Barcode]:
    return list(
        zxingcpp.read_barcodes(
            Image.open(io.BytesIO(png)),
            formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        )
    )


@pytest.mark.parametrize("module_px", [2, 3, 4])
def test_code_url_png_decodes_to_the_url(code: ItemCode, module_px: int) -> None:
    url = code_url("http://127.0.0.1:8000", code)
    found = _decode(qr_png(url, module_px=module_px))
    assert len(found) == 1
    assert found[0].text == url
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert int(_extra(found[0])["Version"]) == qr_version(url) <= MAX_LABEL_VERSION


def test_decoded_symbol_version_and_ecc(code: ItemCode) -> None:
    url = code_url("https://trace.example.cn", code)
    found = _decode(qr_png(url))[0]
    assert found.text == url
    assert _extra(found)["Version"] == str(qr_version(url)) == "7"
    assert found.ec_level == "M"


def test_gs1_png_decodes_to_the_url(code: ItemCode) -> None:
    url = gs1_digital_link_url("https://trace.example.cn", "6901234567892", code)
    assert _decode(qr_png(url))[0].text == url


def test_matrix_size_matches_version(code: ItemCode) -> None:
    url = code_url("http://127.0.0.1:8000", code)
    matrix = qr_matrix(url)
    assert len(matrix) == 17 + 4 * qr_version(url)
    assert all(len(row) == len(matrix) for row in matrix)


def test_png_refuses_zero_module_size() -> None:
    with pytest.raises(ValueError):
        qr_png("X", module_px=0)
