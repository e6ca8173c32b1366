"""Errors a person can act on: each has a stable code and a message in Chinese and English."""

from __future__ import annotations


class PrinterError(Exception):
    """Base class for everything `printers/` raises on purpose.

    `code` is stable for logs and the kiosk UI; `message_zh` is shown first on a
    Chinese kiosk, `message_en` in logs and for English-reading operators.
    """

    code = "printer_error"
    # print_label attaches its PrintResult here, so a caller can record the outcome.
    result: object | None = None

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


class FontNotFoundError(PrinterError):
    """No CJK font on this machine: refuse to draw rather than print empty boxes."""

    code = "font_not_found"


class LayoutError(PrinterError):
    """The data does not fit the layout (text too long, QR too big for the label).

    `fields` names the label fields that did not fit (product, issuer, origin…), when known,
    so a caller can tell the person which registered name is too long.
    """

    code = "layout_error"

    def __init__(self, message_zh: str, message_en: str, *, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message_zh, message_en)
        self.fields = fields


class UnknownNameError(PrinterError):
    """An unknown layout, driver, profile or transport scheme was asked for."""

    code = "unknown_name"
