"""Label images: the QR on the rendered label decodes (zxing-cpp) to a URL that reads genuine."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from traceability.cli import main as cli_main


def _valid_url(demo: dict) -> str:
    return next(c["url"] for c in demo["codes"] if c["status"] == "valid")


def _decode(png: bytes) -> list[str]:
    return [
        result.text
        for result in zxingcpp.read_barcodes(
            Image.open(io.BytesIO(png)),
            formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        )
    ]


@pytest.mark.parametrize("layout", ["item-40x30", "item-50x30", "certificate-100x70"])
@pytest.mark.parametrize("dpi", [203, 300])
def test_label_png_qr_decodes_to_a_url_that_reads_genuine(
    client: FlaskClient,
    demo: dict,
    layout: str,
    dpi: int,
) -> None:
    url = _valid_url(demo)
    path = "/C/" + url.split("/C/", 1)[1]
    response = client.get(f"{path}/label.png?layout={layout}&dpi={dpi}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    decoded = _decode(response.data)
    assert decoded == [url]
    lookup_path = "/C/" + decoded[0].split("/C/", 1)[1]
    verdict = client.get(lookup_path, headers={"Accept": "application/json"}).get_json()["verdict"]
    assert verdict["status"] == "genuine"


def test_label_for_an_unknown_or_forged_code_is_404(client: FlaskClient, demo: dict) -> None:
    url = _valid_url(demo)
    code = url.split("/C/", 1)[1]
    forged = code[:-2] + ("AA" if code[-2:] != "AA" else "BB")
    assert client.get(f"/C/{forged}/label.png").status_code == 404


def test_label_rejects_unknown_layout_and_dpi_with_a_message(
    client: FlaskClient, demo: dict
) -> None:
    path = "/C/" + _valid_url(demo).split("/C/", 1)[1]
    for query in ("layout=poster", "dpi=96", "dpi=abc"):
        response = client.get(f"{path}/label.png?{query}", headers={"Accept": "application/json"})
        assert response.status_code == 422
        assert response.get_json()["message_zh"]


def test_label_command_writes_a_png_with_the_code(
    app: Flask, demo: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("TRACEABILITY_HOME", app.config["TRACEABILITY_HOME"])
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost")
    url = _valid_url(demo)
    output = tmp_path / "label.png"
    result = CliRunner().invoke(
        cli_main, ["label", url, "--layout", "item-40x30", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert _decode(output.read_bytes()) == [url]
    assert "wrote" in result.output
