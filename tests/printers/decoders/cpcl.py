"""CPCL decoder: `! 0 200 200 h qty`, PAGE-WIDTH, CG (binary) / EG (hex), T (GBK), B QR … ENDQR, FORM, PRINT."""

from __future__ import annotations

from tests.printers.decoders import Decoded, QrRun, TextRun, blank, draw_segno_qr, paste_bits


def decode(data: bytes) -> Decoded:
    out = Decoded(blank(1, 1))
    assert data.startswith(b"! "), "a CPCL label starts with the ! header"
    height = width = 0
    qr: tuple[int, int, int] | None = None
    i = 0
    while i < len(data):
        end = data.index(b"\r\n", i)
        line = data[i:end]
        if line.startswith((b"CG ", b"EG ")):
            fields = data[i + 3 :].split(b" ", 4)
            wb, h, x, y = (int(v) for v in fields[:4])
            start = i + 3 + sum(len(f) + 1 for f in fields[:4])
            size = wb * h if line.startswith(b"CG") else wb * h * 2
            raw = data[start : start + size]
            bits = raw if line.startswith(b"CG") else bytes.fromhex(raw.decode("ascii"))
            paste_bits(out.image, x, y, wb, h, bits, one_is_black=True)
            i = start + size
            assert data[i : i + 2] == b"\r\n"
            i += 2
            out.commands.append(line[:2].decode())
            continue
        i = end + 2
        parts = line.split(b" ")
        word = parts[0].decode("ascii", "replace")
        out.commands.append(word)
        if word == "!":
            height, out.copies = int(parts[4]), int(parts[5])
        elif word == "PAGE-WIDTH":
            width = int(parts[1])
            out.image = blank(width, height)
        elif word == "T":
            font, _size, text_x, text_y, raw = line.split(b" ", 5)[1:]
            out.texts.append(
                TextRun(int(text_x), int(text_y), font.decode(), raw.decode("gbk"), raw)
            )
        elif word == "B" and parts[1] == b"QR":
            x, y = int(parts[2]), int(parts[3])
            assert parts[4:6] == [b"M", b"2"] and parts[6] == b"U"
            qr = (x, y, int(parts[7]))
        elif qr is not None and line.startswith(b"MA,"):
            x, y, module = qr
            text = line[3:].decode("ascii")
            out.qrs.append(QrRun(x, y, module, text))
            draw_segno_qr(out.image, x, y, module, text)
        elif word == "ENDQR":
            qr = None
    return out
