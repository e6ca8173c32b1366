"""Benchmark 4: label PNG renders per second on one core, and printer bytes per label.

A kiosk prints runs of labels that differ only in their QR code, so each render here
gets a fresh code URL (no QR cache hit) on the same certificate (the cached template).
The baseline is the bare QR matrix for the same URL, the part no cache can save.
"""

from __future__ import annotations

import time
from typing import Any

from bench.progress import say
from bench.results import Result, Target
from bench.sizes import Size

ITEM_LAYOUT = "item-40x30"
BYTES_LAYOUTS = ("item-40x30", "certificate-80x60")
DPI = 203
BASE_URL = "https://zs.nync.example.gov.cn"


def _urls(count: int) -> list[str]:
    from traceability.codes import code_url, generate_signing_key, new_group_code, sign_item_codes

    key = generate_signing_key()
    return [code_url(BASE_URL, c) for c in sign_item_codes(new_group_code(), count, key)]


def _data(url: str):  # type: ignore[no-untyped-def]
    from printers.model import CertificateLabelData

    return CertificateLabelData(
        product="富硒大米",
        qr_text=url,
        issuer="稻香家庭农场",
        date="2026-05-01",
        quantity="50 kg",
        origin="青禾县禾丰镇东岗村",
        phone="13812345678",
        basis=("自控自检", "委托检测"),
        certificate_no="HGZ20260501-ABCDEFGHJK",
    )


def _bare_qr_per_second(urls: list[str]) -> float:
    import qrcode
    import qrcode.constants

    qrcode.make("https://warm.example/C/1")  # imports and tables, not part of the figure
    start = time.perf_counter()
    for url in urls:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(url)
        code.make(fit=True)
        code.get_matrix()
    return len(urls) / (time.perf_counter() - start)


def _renders_per_second(layout: str, urls: list[str]) -> float:
    from traceability.labels import render_label_png

    render_label_png(_data("https://warm.example/C/1"), layout, DPI)  # build the cached template
    start = time.perf_counter()
    for url in urls:
        render_label_png(_data(url), layout, DPI)
    return len(urls) / (time.perf_counter() - start)


def _pending(reason: str) -> list[Result]:
    return [
        Result(
            "labels",
            "-",
            f"label renders and driver bytes — pending printers ({reason})",
            None,
            "pending printers",
        )
    ]


def _failed(name: str, exc: Exception) -> Result:
    message = str(exc).splitlines()[0][:160]
    return Result("labels", "-", name, None, "failed", note=f"{type(exc).__name__}: {message}")


def run_labels(size: Size) -> list[Result]:
    try:
        from printers.drivers import DRIVERS, get_driver
        from printers.layouts import LAYOUTS, build_label
    except ImportError as exc:
        return _pending(str(exc))
    say("labels: PNG renders per layout")
    results: list[Result] = []
    baseline = _bare_qr_per_second(_urls(size.label_renders))
    for name in LAYOUTS:
        try:
            rate = _renders_per_second(name, _urls(size.label_renders))
        except Exception as exc:  # a layout bug must not hide the other figures
            results.append(_failed(f"{name} PNG renders at {DPI} dpi", exc))
            continue
        results.append(
            Result(
                "labels",
                "-",
                f"{name} PNG renders at {DPI} dpi, one core",
                rate,
                "labels/s",
                baseline,
                "bare QR matrices/s",
                Target(">=", 100, on="value") if name == ITEM_LAYOUT else None,
            )
        )
    say("labels: driver bytes per label, raster vs native")
    url = _urls(1)[0]
    for layout in BYTES_LAYOUTS:
        label = build_label(layout, _data(url), DPI)
        for language in DRIVERS:
            driver = get_driver(language)
            try:
                raster = len(driver.encode(label, mode="raster").data)
                native = driver.encode(label, mode="native")
            except Exception as exc:
                results.append(_failed(f"{language} bytes per {layout} label", exc))
                continue
            went_native = sorted(k for k, v in native.modes.items() if v == "native")
            results.append(
                Result(
                    "labels",
                    "-",
                    f"{language} bytes per {layout} label, native vs raster",
                    len(native.data),
                    "B",
                    raster,
                    "raster",
                    note=f"native: {', '.join(went_native) or 'nothing'}",
                )
            )
        results += _z64_bytes(layout, label)
    return results


def _z64_bytes(layout: str, label: Any) -> list[Result]:
    """ZPL raster as Z64 (the Zebra profiles) against the ASCII hex the emulations get."""
    from printers.drivers import get_driver

    name = f"zpl Z64 raster bytes per {layout} label (profile zpl-203) vs ASCII hex"
    try:
        z64 = len(get_driver("zpl", "zpl-203").encode(label, mode="raster").data)
        hexed = len(get_driver("zpl", "zpl-hprt-203").encode(label, mode="raster").data)
    except Exception as exc:
        return [_failed(name, exc)]
    return [Result("labels", "-", name, z64, "B", hexed, "hex raster")]
