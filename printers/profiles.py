"""Printer profiles: what a given printer model can do, as data.

Drivers read a profile to decide per element between native commands and raster:
the native CJK font and the charset it covers, whether the QR command exists and how
large its module may be, whether the printer answers status queries. Add a printer by
adding a profile here (or constructing PrinterProfile in the agent's config).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from printers.errors import UnknownNameError

Language = Literal["tspl", "zpl", "cpcl", "escpos"]


@dataclass(frozen=True)
class PrinterProfile:
    """Capabilities of one printer model.

    `text_charset` is the set of characters the resident CJK font is trusted to
    draw, checked with strict encoding (None: no CJK font, text always goes raster).
    `native_font` is the language's font reference (TSPL "TSS24.BF2", ZPL font
    alias "1", CPCL font number "8"); `native_font_dots` its cell height.
    `zpl_graphics` is how ZPL raster travels: "z64" (zlib + Base64 + CRC, a fifth to an
    eighth of the bytes for a mostly white label; Zebra firmware has read it for two
    decades) or "hex" (plain ASCII hex, which every ZPL emulation reads).
    """

    name: str
    language: Language
    dpi: int = 203
    width_dots: int = 832
    text_charset: str | None = "gb2312"
    native_font: str = ""
    native_font_dots: int = 24
    native_qr: bool = True
    max_qr_module: int = 10
    answers_status: bool = True
    zpl_font_file: str | None = None
    zpl_graphics: Literal["hex", "z64"] = "hex"
    description: str = ""


PROFILES: dict[str, PrinterProfile] = {
    p.name: p
    for p in (
        PrinterProfile(
            "tspl-203",
            "tspl",
            203,
            832,
            "gb2312",
            "TSS24.BF2",
            description="TSPL 203 dpi (佳博 Gprinter, 芯烨 Xprinter, 汉印 HPRT, TSC); TSS24.BF2",
        ),
        PrinterProfile(
            "tspl-300",
            "tspl",
            300,
            1248,
            "gb2312",
            "TSS24.BF2",
            description="TSPL 300 dpi (TSC TTP-344 class); TSS24.BF2 scaled ×2",
        ),
        PrinterProfile(
            "zpl-203",
            "zpl",
            203,
            832,
            None,
            zpl_graphics="z64",
            description="Zebra ZPL II 203 dpi without a CJK font: text raster (Z64), QR native",
        ),
        PrinterProfile(
            "zpl-hprt-203",
            "zpl",
            203,
            832,
            "gb2312",
            "1",
            description="ZPL emulation with resident GB2312.ttf as font 1 (汉印 HPRT)",
        ),
        PrinterProfile(
            "zpl-simsun-203",
            "zpl",
            203,
            832,
            "gbk",
            "1",
            zpl_font_file="E:SIMSUN.FNT",
            zpl_graphics="z64",
            description="Chinese-market Zebra with E:SIMSUN.FNT aliased as font 1",
        ),
        PrinterProfile(
            "cpcl-203",
            "cpcl",
            203,
            576,
            "gbk",
            "8",
            max_qr_module=32,
            answers_status=False,
            description="CPCL portable label printer (汉印 HPRT class); font 8 = 24×24 hanzi",
        ),
        PrinterProfile(
            "escpos-58",
            "escpos",
            203,
            384,
            "gbk",
            "resident",
            max_qr_module=16,
            description="58 mm ESC/POS receipt printer with resident GB font (FS &)",
        ),
        PrinterProfile(
            "escpos-80",
            "escpos",
            203,
            576,
            "gbk",
            "resident",
            max_qr_module=16,
            description="80 mm ESC/POS receipt printer with resident GB font (FS &)",
        ),
    )
}

DEFAULT_PROFILE: dict[Language, str] = {
    "tspl": "tspl-203",
    "zpl": "zpl-hprt-203",
    "cpcl": "cpcl-203",
    "escpos": "escpos-80",
}


def get_profile(name: str) -> PrinterProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownNameError(
            f"没有名为 {name} 的打印机型号配置，可选：{', '.join(PROFILES)}",
            f"unknown printer profile {name!r}; choose one of {', '.join(PROFILES)}",
        ) from None
