"""CPCL: Zebra mobile printers and the Chinese portable Bluetooth label printers.

A page starts `! 0 200 200 <height> <qty>` (200 = nominal resolution of a 203-dpi
head) and ends `FORM` (advance to the next gap) + `PRINT`. Raster is `CG` (binary,
1 = black) with width in bytes; native text is `T <font> <size> x y <GBK bytes>`
with a vendor font number from the profile; native QR is `B QR x y M 2 U <n>`,
`MA,<data>`, `ENDQR`.
"""

from __future__ import annotations

from printers.drivers.base import Driver, EncodeResult, Mode, crop_to_ink, ink_bits
from printers.model import Label, PrintSettings


class CpclDriver(Driver):
    """CPCL bytes for a Label; GBK `T` text and `B QR` natively, `CG` for the rest."""

    language = "cpcl"

    def encode(
        self, label: Label, *, mode: Mode = "native", settings: PrintSettings | None = None
    ) -> EncodeResult:
        settings = settings or PrintSettings()
        plan = self.plan(label, mode)
        media = label.media
        resolution = 200 if media.dpi < 250 else 300
        out = bytearray()

        def line(text: str, encoding: str = "ascii") -> None:
            out.extend(text.encode(encoding) + b"\r\n")

        line(f"! 0 {resolution} {resolution} {media.height_dots} {settings.copies}")
        line(f"PAGE-WIDTH {media.width_dots}")
        if settings.density is not None:
            line(f"CONTRAST {settings.density}")
        if settings.speed is not None:
            line(f"SPEED {round(settings.speed)}")
        if media.kind == "mark":
            line("BAR-SENSE")
        patch = crop_to_ink(media, plan.raster)
        if patch is not None:
            header = f"CG {patch.row_bytes()} {patch.image.height} {patch.x} {patch.y} "
            out += header.encode("ascii") + ink_bits(patch.image) + b"\r\n"
        font = self.profile.native_font
        cell = self.profile.native_font_dots
        charset = self.profile.text_charset or "gbk"
        for _element, lines in plan.texts:
            for text_line in lines:
                m = text_line.size // cell
                if m > 1:
                    line(f"SETMAG {m} {m}")
                line(f"T {font} 0 {text_line.x} {text_line.y} {text_line.text}", charset)
                if m > 1:
                    line("SETMAG 0 0")
        for element, placed in plan.qrs:
            line(f"B QR {placed.x} {placed.y} M 2 U {placed.module}")
            line(f"MA,{element.data}")
            line("ENDQR")
        if media.kind != "continuous":
            line("FORM")
        line("PRINT")
        return EncodeResult(bytes(out), plan.modes, tuple(plan.warnings))
