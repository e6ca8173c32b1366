"""ESC/POS: 58/80 mm receipt printers (Epson and the Chinese Xprinter/Rongta/Gprinter class).

A stream printed top to bottom, so elements are emitted in vertical order and the
paper is advanced to each one with `ESC J n` (n dots). Elements that share rows with
another element (a QR beside text) cannot be placed natively in standard mode, so
those rows go out as one raster band (`GS v 0`, 1 = black). Native text is
`ESC $` (absolute x, in dots on 203-dpi printers) + `FS &` GBK bytes `FS .` + LF;
native QR is the `GS ( k` sequence (model 2, module size, ECC M, store, print).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from printers.drivers.base import Driver, EncodeResult, Mode, Plan, ink_bits
from printers.model import Element, Label, PrintSettings, QRElement, TextElement
from printers.raster import render_elements
from printers.status import PrinterStatus, parse_escpos

ESC, GS, FS, DLE, EOT, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x04, 0x0A
STATUS_QUERY = bytes([DLE, EOT, 1, DLE, EOT, 2, DLE, EOT, 4])
MAX_BAND_ROWS = 256  # some printers choke on very tall GS v 0 images


@dataclass
class _Group:
    top: int
    bottom: int
    elements: list[Element] = field(default_factory=list)


def _groups(label: Label) -> list[_Group]:
    """Elements (non-empty ones) grouped so that no two groups share a row."""
    groups: list[_Group] = []
    visible = [el for el in label.elements if not (isinstance(el, TextElement) and not el.text)]
    for el in sorted(visible, key=lambda e: e.box.y):
        if groups and el.box.y < groups[-1].bottom:
            groups[-1].bottom = max(groups[-1].bottom, el.box.bottom)
            groups[-1].elements.append(el)
        else:
            groups.append(_Group(el.box.y, el.box.bottom, [el]))
    return groups


def _u16(value: int) -> bytes:
    return bytes([value & 0xFF, value >> 8 & 0xFF])


def qr_commands(data: str, module: int) -> bytes:
    """GS ( k: select model 2, module size, ECC M, store data, print (fn 165/167/169/180/181)."""
    payload = data.encode("ascii")
    return b"".join(
        (
            bytes([GS, 0x28, 0x6B, 4, 0, 0x31, 0x41, 0x32, 0x00]),
            bytes([GS, 0x28, 0x6B, 3, 0, 0x31, 0x43, module]),
            bytes([GS, 0x28, 0x6B, 3, 0, 0x31, 0x45, 0x31]),
            bytes([GS, 0x28, 0x6B]) + _u16(len(payload) + 3) + bytes([0x31, 0x50, 0x30]) + payload,
            bytes([GS, 0x28, 0x6B, 3, 0, 0x31, 0x51, 0x30]),
        )
    )


def raster_commands(bits: bytes, width_bytes: int, rows: int) -> bytes:
    """GS v 0 in bands of MAX_BAND_ROWS rows."""
    out = bytearray()
    for start in range(0, rows, MAX_BAND_ROWS):
        n = min(MAX_BAND_ROWS, rows - start)
        chunk = bits[start * width_bytes : (start + n) * width_bytes]
        out += bytes([GS, 0x76, 0x30, 0]) + _u16(width_bytes) + _u16(n) + chunk
    return bytes(out)


class _Stream:
    """Bytes plus the paper position the printer will be at after them."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.y = 0

    def feed_to(self, y: int) -> None:
        while self.y < y:
            n = min(255, y - self.y)
            self.out += bytes([ESC, 0x4A, n])
            self.y += n


class EscposDriver(Driver):
    """ESC/POS bytes for a Label; `FS &` GBK text and `GS ( k` QR natively, `GS v 0` bands."""

    language = "escpos"
    media_kinds = frozenset({"continuous", "gap", "mark"})

    def encode(
        self, label: Label, *, mode: Mode = "native", settings: PrintSettings | None = None
    ) -> EncodeResult:
        settings = settings or PrintSettings()
        groups = _groups(label)
        alone = {id(g.elements[0]) for g in groups if len(g.elements) == 1}
        plan = self.plan(label, mode, can_place=lambda el: id(el) in alone)
        warnings = list(plan.warnings)
        if label.media.width_dots > self.profile.width_dots:
            warnings.append(
                f"label is {label.media.width_dots} dots wide, printer {self.profile.width_dots}"
            )
        body = self._body(label, groups, plan)
        out = bytearray([ESC, 0x40, ESC, 0x61, 0])
        for _ in range(settings.copies):
            out += body
            if settings.cut:
                out += bytes([GS, 0x56, 66, 0])
        return EncodeResult(bytes(out), plan.modes, tuple(warnings))

    def _body(self, label: Label, groups: list[_Group], plan: Plan) -> bytes:
        stream = _Stream()
        native_text = dict((id(el), lines) for el, lines in plan.texts)
        native_qr = dict((id(el), placed) for el, placed in plan.qrs)
        charset = self.profile.text_charset or "gbk"
        for group in groups:
            element = group.elements[0]
            if id(element) in native_text:
                for line in native_text[id(element)]:
                    stream.feed_to(line.y)
                    stream.out += bytes([ESC, 0x33, line.size, ESC, 0x24]) + _u16(line.x)
                    stream.out += (
                        bytes([FS, 0x26]) + line.text.encode(charset) + bytes([FS, 0x2E, LF])
                    )
                    stream.y += line.size
            elif id(element) in native_qr and isinstance(element, QRElement):
                placed = native_qr[id(element)]
                stream.feed_to(placed.y)
                stream.out += bytes([ESC, 0x24]) + _u16(placed.x)
                stream.out += qr_commands(element.data, placed.module)
                stream.y += placed.size
            else:
                self._band(label, group, stream)
        stream.feed_to(label.media.height_dots)
        return bytes(stream.out)

    def _band(self, label: Label, group: _Group, stream: _Stream) -> None:
        image = render_elements(label.media, group.elements)
        band = image.crop((0, group.top, image.width, group.bottom))
        stream.feed_to(group.top)
        stream.out += raster_commands(ink_bits(band), band.width // 8, band.height)
        stream.y += band.height

    def status_request(self) -> bytes:
        return STATUS_QUERY

    def status_reply_complete(self, reply: bytes) -> bool:
        return len(reply) >= 3

    def parse_status(self, reply: bytes) -> PrinterStatus:
        return parse_escpos(reply)
