"""ESC/POS decoder for a paper roll `width` dots wide (Epson ESC/POS reference).

ESC @, ESC a, ESC 3 n (line spacing), ESC $ (absolute x), ESC J n (feed n dots),
FS & … FS . (Chinese mode, GBK), LF, GS v 0 (raster, 1 = black), GS ( k (QR:
fn 65/67/69/80/81), GS V (cut). The paper position `y` advances as a printer's would.
"""

from __future__ import annotations

from typing import NamedTuple

from tests.printers.decoders import Decoded, QrRun, TextRun, blank, draw_segno_qr, paste_bits


class _Raster(NamedTuple):
    width_bytes: int
    rows: int
    bits: bytes


class _Qr(NamedTuple):
    module: int
    text: str


def decode(data: bytes, width: int) -> Decoded:
    ops: list[tuple[str, int, int, _Raster | _Qr | None]] = []
    out = Decoded(blank(1, 1))
    y = x = 0
    spacing = 30
    module = 3
    stored = b""
    cuts = 0
    i = 0
    texts: list[TextRun] = []
    qrs: list[QrRun] = []

    def u16(at: int) -> int:
        return data[at] | data[at + 1] << 8

    while i < len(data):
        b = data[i]
        if b == 0x1B:
            cmd = data[i + 1]
            if cmd == 0x40:
                i += 2
            elif cmd == 0x61:
                assert data[i + 2] == 0, "left justification only"
                i += 3
            elif cmd == 0x33:
                spacing = data[i + 2]
                i += 3
            elif cmd == 0x24:
                x = u16(i + 2)
                i += 4
            elif cmd == 0x4A:
                y += data[i + 2]
                i += 3
            else:
                raise AssertionError(f"unknown ESC {cmd:#x}")
        elif b == 0x1C and data[i + 1] == 0x26:
            end = data.index(b"\x1c\x2e", i + 2)
            raw = data[i + 2 : end]
            texts.append(TextRun(x, y, "resident", raw.decode("gbk"), raw))
            i = end + 2
        elif b == 0x0A:
            y += spacing
            x = 0
            i += 1
        elif b == 0x1D and data[i + 1] == 0x76:
            assert data[i + 2] == 0x30
            wb, rows = u16(i + 4), u16(i + 6)
            bits = data[i + 8 : i + 8 + wb * rows]
            ops.append(("raster", 0, y, _Raster(wb, rows, bits)))
            y += rows
            i += 8 + wb * rows
        elif b == 0x1D and data[i + 1] == 0x28 and data[i + 2] == 0x6B:
            length = u16(i + 3)
            cn, fn, params = data[i + 5], data[i + 6], data[i + 7 : i + 5 + length]
            assert cn == 0x31
            if fn == 0x43:
                module = params[0]
            elif fn == 0x45:
                assert params[0] == 0x31, "ECC M"
            elif fn == 0x50:
                stored = params[1:]
            elif fn == 0x51:
                text = stored.decode("ascii")
                qrs.append(QrRun(x, y, module, text))
                ops.append(("qr", x, y, _Qr(module, text)))
                y += (
                    len(__import__("segno").make_qr(text, error="m", boost_error=False).matrix)
                    * module
                )
                x = 0
            i += 5 + length
        elif b == 0x1D and data[i + 1] == 0x56:
            cuts += 1
            i += 4 if data[i + 2] in (65, 66) else 3
            out.commands.append("cut")
            ops.append(("cut", 0, y, None))
        else:
            raise AssertionError(f"unexpected byte {b:#x} at {i}")
    first_cut = next((op[2] for op in ops if op[0] == "cut"), y)
    out.image = blank(width, max(first_cut, 1))
    for kind, ox, oy, arg in ops:
        if oy >= first_cut:
            break
        if kind == "raster":
            assert isinstance(arg, _Raster)
            paste_bits(out.image, ox, oy, arg.width_bytes, arg.rows, arg.bits, one_is_black=True)
        elif kind == "qr":
            assert isinstance(arg, _Qr)
            draw_segno_qr(out.image, ox, oy, arg.module, arg.text)
    out.texts = [t for t in texts if t.y < first_cut]
    out.qrs = [q for q in qrs if q.y < first_cut]
    out.copies = max(cuts, 1)
    return out
