"""TSPL/TSPL2: TSC and the Chinese label printers most kiosks use (Gprinter, Xprinter, HPRT).

CRLF-terminated text commands; coordinates in dots, SIZE in mm. Raster is `BITMAP`
with **0 = black** (the opposite of ZPL/ESC/POS, so Pillow "1" bytes go out as they
are). Native text uses the resident GB font `TSS24.BF2` with the whole line GBK
encoded; native QR is `QRCODE x,y,M,cell,A,0,M2,"data"`, which draws no quiet zone.
"""

from __future__ import annotations

from printers.drivers.base import Driver, EncodeResult, Mode, crop_to_ink
from printers.model import Label, Media, PrintSettings
from printers.status import PrinterStatus, parse_tspl

STATUS_QUERY = b"\x1b!?"


def _mm(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def media_commands(media: Media, settings: PrintSettings) -> list[str]:
    """SIZE, GAP/BLINE, DIRECTION, DENSITY, SPEED: the per-job media setup."""
    lines = [f"SIZE {_mm(media.width_mm)} mm,{_mm(media.height_dots / media.dots_per_mm)} mm"]
    if media.kind == "gap":
        lines.append(f"GAP {_mm(media.gap_mm)} mm,{_mm(media.offset_mm)} mm")
    elif media.kind == "mark":
        lines.append(f"BLINE {_mm(media.gap_mm)} mm,{_mm(media.offset_mm)} mm")
    else:
        lines.append("GAP 0,0")
    lines.append(f"DIRECTION {settings.direction},0")
    lines.append("REFERENCE 0,0")
    if settings.density is not None:
        lines.append(f"DENSITY {settings.density}")
    if settings.speed is not None:
        lines.append(f"SPEED {_mm(settings.speed)}")
    return lines


class TsplDriver(Driver):
    """TSPL bytes for a Label; GBK text and QRCODE natively, BITMAP for the rest."""

    language = "tspl"
    status_proves_completion = True

    def text_ok(self, text: str) -> str | None:
        if '"' in text or "\\" in text:
            return "quote or backslash in TSPL string"
        return super().text_ok(text)

    def qr_ok(self, data: str) -> str | None:
        if '"' in data:
            return "quote in TSPL QR data"
        return super().qr_ok(data)

    def encode(
        self, label: Label, *, mode: Mode = "native", settings: PrintSettings | None = None
    ) -> EncodeResult:
        settings = settings or PrintSettings()
        plan = self.plan(label, mode)
        out = bytearray()
        for command in [*media_commands(label.media, settings), "CLS"]:
            out += command.encode("ascii") + b"\r\n"
        patch = crop_to_ink(label.media, plan.raster)
        if patch is not None:
            # BITMAP first: mode 0 overwrites its whole rectangle, white bits included.
            header = f"BITMAP {patch.x},{patch.y},{patch.row_bytes()},{patch.image.height},0,"
            out += header.encode("ascii") + patch.image.tobytes() + b"\r\n"
        font = self.profile.native_font
        cell = self.profile.native_font_dots
        charset = self.profile.text_charset or "gbk"
        for _element, lines in plan.texts:
            for line in lines:
                m = line.size // cell
                command = f'TEXT {line.x},{line.y},"{font}",0,{m},{m},"{line.text}"'
                out += command.encode(charset) + b"\r\n"
        for element, placed in plan.qrs:
            command = f'QRCODE {placed.x},{placed.y},M,{placed.module},A,0,M2,"{element.data}"'
            out += command.encode("ascii") + b"\r\n"
        out += f"PRINT 1,{settings.copies}\r\n".encode("ascii")
        return EncodeResult(bytes(out), plan.modes, tuple(plan.warnings))

    def status_request(self) -> bytes:
        return STATUS_QUERY

    def status_reply_complete(self, reply: bytes) -> bool:
        return len(reply) >= 1

    def parse_status(self, reply: bytes) -> PrinterStatus:
        return parse_tspl(reply)
