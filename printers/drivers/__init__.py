"""Drivers by language name: `get_driver("tspl", profile)`."""

from __future__ import annotations

from printers.drivers.base import Driver, EncodeResult, Mode
from printers.drivers.cpcl import CpclDriver
from printers.drivers.escpos import EscposDriver
from printers.drivers.tspl import TsplDriver
from printers.drivers.zpl import ZplDriver
from printers.errors import UnknownNameError
from printers.profiles import PrinterProfile, get_profile

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


__all__ = ["DRIVERS", "Driver", "EncodeResult", "Mode", "get_driver"]
