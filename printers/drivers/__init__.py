"""Drivers by language name: `get_driver("tspl", profile)`."""

from __future__ import annotations

from printers.drivers.base import Driver, EncodeResult, Mode
from printers.drivers.cpcl import CpclDriver
from printers.drivers.escpos import EscposDriver
from printers.drivers.tspl import TsplDriver
from printers.drivers.zpl import ZplDriver
from printers.errors import UnknownNameError
from printers.layouts import LAYOUTS
from printers.model import dots_per_mm
from printers.profiles import PROFILES, PrinterProfile, get_profile

DRIVERS: dict[str, type[Driver]] = {
    "tspl": TsplDriver,
    "zpl": ZplDriver,
    "cpcl": CpclDriver,
    "escpos": EscposDriver,
}


def get_driver(language: str, profile: PrinterProfile | str | None = None) -> Driver:
    """A driver for `language`, with a profile object, a profile name or the default."""
    try:
        cls = DRIVERS[language]
    except KeyError:
        raise UnknownNameError(
            f"没有名为 {language} 的打印机语言，可选：{', '.join(DRIVERS)}",
            f"unknown printer language {language!r}; choose one of {', '.join(DRIVERS)}",
        ) from None
    if isinstance(profile, str):
        profile = get_profile(profile)
    if profile is not None and profile.language != language:
        raise UnknownNameError(
            f"型号配置 {profile.name} 是 {profile.language}，不是 {language}",
            f"profile {profile.name} is for {profile.language}, not {language}",
        )
    return cls(profile)


def widest_paper_mm(language: str) -> float:
    """The printed width of the widest printer of `language` that has a profile here (0 for a
    language with none: no printer of it is known to print anything)."""
    return max(
        (p.width_dots / dots_per_mm(p.dpi) for p in PROFILES.values() if p.language == language),
        default=0.0,
    )


def printable_layouts(language: str) -> tuple[str, ...]:
    """The layouts a printer of `language` can print: drawn for the paper it holds
    (`Driver.media_kinds`) and no wider than its widest known printer, so a receipt never
    goes to a label printer and an 80 mm certificate never to a 72 mm receipt roll."""
    try:
        cls = DRIVERS[language]
    except KeyError:
        return ()
    widest = widest_paper_mm(language)
    return tuple(
        spec.name
        for spec in LAYOUTS.values()
        if spec.media in cls.media_kinds and spec.width_mm <= widest
    )


__all__ = [
    "DRIVERS",
    "Driver",
    "EncodeResult",
    "Mode",
    "get_driver",
    "printable_layouts",
    "widest_paper_mm",
]
