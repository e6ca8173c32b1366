"""TSPL decoder: SIZE, CLS, BITMAP (0 = black), TEXT (GBK), QRCODE, PRINT (TSC TSPL/TSPL2 manual)."""

from __future__ import annotations

import re

from tests.printers.decoders import Decoded, QrRun, TextRun, blank, draw_segno_qr, paste_bits

_TEXT = re.compile(rb'TEXT (\d+),(\d+),"([^"]+)",(\d+),(\d+),(\d+),"(.*)"$', re.S)
_QR = re.compile(
    rb'QRCODE (\d+),(\d+),([LMQH]),(\d+),([AM]),(\d+),(?:M[12],)?(?:S\d,)?"(.*)"$', re.S
)
_SIZE = re.compile(rb"SIZE ([\d.]+) mm,([\d.]+) mm")


def decode(data: bytes, dots_per_mm: float = 8.0) -> Decoded:
    out = Decoded(blank(1, 1))
    i = 0
    while i < len(data):
        end = data.index(b"\r\n", i)
        line = data[i:end]
        if line.startswith(b"BITMAP "):
            fields = data[i + 7 :].split(b",", 5)
            x, y, wb, h, mode = (int(v) for v in fields[:5])
            assert mode == 0, "only OVERWRITE mode is used"
            start = i + 7 + sum(len(f) + 1 for f in fields[:5])
            paste_bits(out.image, x, y, wb, h, data[start : start + wb * h], one_is_black=False)
            i = start + wb * h
            assert data[i : i + 2] == b"\r\n", "BITMAP data must be followed by CRLF"
            i += 2
            out.commands.append("BITMAP")
            continue
        i = end + 2
        word = line.split(b" ", 1)[0].decode("ascii")
        out.commands.append(word)
        if m := _SIZE.match(line):
            w, h = (round(float(v) * dots_per_mm) for v in m.groups())
            out.image = blank(w, h)
        elif word == "CLS":
            out.image = blank(*out.image.size)
        elif m := _TEXT.match(line):
            raw = m.group(7)
            out.texts.append(
                TextRun(
                    int(m.group(1)), int(m.group(2)), m.group(3).decode(), raw.decode("gbk"), raw
                )
            )
        elif m := _QR.match(line):
            x, y, module = int(m.group(1)), int(m.group(2)), int(m.group(4))
            text = m.group(7).decode("ascii")
            out.qrs.append(QrRun(x, y, module, text))
            draw_segno_qr(out.image, x, y, module, text)
        elif word == "PRINT":
            sets, _, copies = line[6:].partition(b",")
            out.copies = int(sets) * int(copies or b"1")
    return out
