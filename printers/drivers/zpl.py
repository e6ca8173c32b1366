"""ZPL II: Zebra printers and the many printers that emulate them.

One `^XA … ^XZ` format. Raster is `^GFA`, **1 = black**, as ASCII hex or, where the
profile says the printer reads it, Z64 (zlib, Base64, CRC-16 of the Base64 text:
`:Z64:<data>:<crc>`, ZPL II Programming Guide "ZB64 Encoding"). Native text
needs a CJK font on the printer (`^CI28` declares UTF-8; `^A1` uses the font the
profile says is resident, optionally aliased with `^CW`), so the default Zebra
profile has none and sends text as raster. Native QR is `^BQN,2,<mag>` with data
`MA,<text>`; it draws no quiet zone, and real printers shift it down by the `^BY`
height, so we set `^BY` height 1 explicitly (printers.md §1.3).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Iterable

from printers.drivers.base import Driver, EncodeResult, Mode, crop_to_ink, ink_bits
from printers.model import Label, PrintSettings, TextElement
from printers.status import PrinterStatus, parse_zpl_hs

STATUS_QUERY = b"~HS\r\n"
_MEDIA_TRACKING = {"gap": "^MNY", "mark": "^MNM", "continuous": "^MNN"}


def graphic_field(width_bytes: int, height: int, bits: bytes, *, z64: bool = False) -> str:
    """`^GFA,total,total,bytes-per-row,DATA` for rows of 1-bit-black data."""
    total = width_bytes * height
    return f"^GFA,{total},{total},{width_bytes},{z64_data(bits) if z64 else bits.hex().upper()}"


def z64_data(bits: bytes) -> str:
    """`:Z64:<Base64 of zlib data>:<CRC>`; the CRC is CRC-16/XMODEM over the Base64 text.

    A printer that finds a CRC mismatch drops the graphic rather than print noise, which
    matters on the serial and USB links kiosks use.
    """
    encoded = base64.b64encode(zlib.compress(bits, 9))
    return f":Z64:{encoded.decode('ascii')}:{binascii.crc_hqx(encoded, 0):04X}"


class ZplDriver(Driver):
    """ZPL bytes for a Label; `^A<font>` UTF-8 text and `^BQN` natively, `^GFA` for the rest."""

    language = "zpl"
    status_proves_completion = True

    def native_text_sizes(self, element: TextElement) -> Iterable[int]:
        # Resident ZPL fonts are scalable: any height from the preferred down to the minimum.
        return range(element.size, element.min_size - 1, -1)

    def text_ok(self, text: str) -> str | None:
        if "^" in text or "~" in text:
            return "ZPL control character in text"
        return super().text_ok(text)

    def qr_ok(self, data: str) -> str | None:
        if "^" in data or "~" in data:
            return "ZPL control character in QR data"
        return super().qr_ok(data)

    def encode(
        self, label: Label, *, mode: Mode = "native", settings: PrintSettings | None = None
    ) -> EncodeResult:
        settings = settings or PrintSettings()
        plan = self.plan(label, mode)
        media = label.media
        parts: list[str] = []
        if settings.density is not None:
            parts.append(f"~SD{settings.density:02d}")
        parts += ["^XA", "^CI28", f"^PW{media.width_dots}", f"^LL{media.height_dots}", "^LH0,0"]
        parts.append(_MEDIA_TRACKING[media.kind])
        parts.append("^PON" if settings.direction == 1 else "^POI")
        if settings.speed is not None:
            parts.append(f"^PR{round(settings.speed)}")
        if self.profile.zpl_font_file and plan.texts:
            parts.append(f"^CW{self.profile.native_font},{self.profile.zpl_font_file}")
        patch = crop_to_ink(media, plan.raster)
        if patch is not None:
            bits = ink_bits(patch.image)
            field = graphic_field(
                patch.row_bytes(),
                patch.image.height,
                bits,
                z64=self.profile.zpl_graphics == "z64",
            )
            parts.append(f"^FO{patch.x},{patch.y}{field}^FS")
        font = self.profile.native_font
        for _element, lines in plan.texts:
            for line in lines:
                parts.append(
                    f"^FO{line.x},{line.y}^A{font}N,{line.size},{line.size}^FD{line.text}^FS"
                )
        if plan.qrs:
            parts.append("^BY2,3,1")
        for element, placed in plan.qrs:
            parts.append(f"^FO{placed.x},{placed.y}^BQN,2,{placed.module}^FDMA,{element.data}^FS")
        parts += [f"^PQ{settings.copies},0,1,Y", "^XZ"]
        data = "\n".join(parts).encode("utf-8") + b"\n"
        return EncodeResult(data, plan.modes, tuple(plan.warnings))

    def status_request(self) -> bytes:
        return STATUS_QUERY

    def status_reply_complete(self, reply: bytes) -> bool:
        return reply.count(b"\x03") >= 3

    def parse_status(self, reply: bytes) -> PrinterStatus:
        return parse_zpl_hs(reply)
