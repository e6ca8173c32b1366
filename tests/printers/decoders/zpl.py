"""ZPL II decoder: ^XA ^PW ^LL ^FO ^GFA (hex, B64 or Z64; 1 = black) ^A ^BY ^BQN ^FD ^FS ^PQ ^XZ.

`bq_shift` models the firmware quirk that moves a ^BQ symbol down by the ^BY height
(printers.md §1.3: zebrash and real printers do, the ZPL spec does not).
"""

from __future__ import annotations

import base64
import re
import zlib

from tests.printers.decoders import Decoded, QrRun, TextRun, blank, draw_segno_qr, paste_bits


def decode(data: bytes, *, bq_shift: bool = False) -> Decoded:
    text = data.decode("utf-8")
    assert text.lstrip().startswith(("^XA", "~SD")), "a ZPL format starts with ^XA"
    out = Decoded(blank(1, 1))
    width = height = 0
    x = y = 0
    by_height = 10
    font = ""
    qr_mag: int | None = None
    for piece in re.split(r"(?=[\^~])", text):
        piece = piece.strip()
        if not piece:
            continue
        code, args = piece[1:3], piece[3:]
        out.commands.append(piece[:3])
        if code == "PW":
            width = int(args)
        elif code == "LL":
            height = int(args)
            out.image = blank(width, height)
        elif code == "FO":
            x, y = (int(v) for v in args.split(",")[:2])
        elif code == "GF":
            fmt, total, _, per_row, hexdata = args.split(",", 4)
            assert fmt == "A"
            bits = graphic_data(hexdata)
            assert len(bits) == int(total)
            paste_bits(
                out.image, x, y, int(per_row), int(total) // int(per_row), bits, one_is_black=True
            )
        elif code == "BY":
            by_height = int(args.split(",")[2])
        elif code == "BQ":
            orientation, model, mag = args.split(",")[:3]
            assert orientation == "N" and model == "2"
            qr_mag = int(mag)
        elif piece[1] == "A" and code not in ("A@",):
            font = piece[2]
        elif code == "FD":
            if qr_mag is not None:
                ecc, mode_data = args[0], args[1:]
                assert ecc == "M" and mode_data.startswith("A,")
                qr_y = y + (by_height if bq_shift else 0)
                out.qrs.append(QrRun(x, qr_y, qr_mag, mode_data[2:]))
                draw_segno_qr(out.image, x, qr_y, qr_mag, mode_data[2:])
            else:
                out.texts.append(TextRun(x, y, font, args, args.encode("utf-8")))
        elif code == "FS":
            qr_mag = None
        elif code == "PQ":
            out.copies = int(args.split(",")[0])
    return out


def graphic_data(field: str) -> bytes:
    """^GF data: ASCII hex, or `:B64:`/`:Z64:` Base64 (zlib for Z64) with its CRC checked."""
    if not field.startswith(":"):
        return bytes.fromhex(field)
    _, kind, encoded, crc = field.split(":")
    assert kind in ("B64", "Z64"), kind
    assert int(crc, 16) == crc16_xmodem(encoded.encode("ascii")), "ZB64 CRC mismatch"
    raw = base64.b64decode(encoded, validate=True)
    return zlib.decompress(raw) if kind == "Z64" else raw


def crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM (poly 0x1021, init 0), bit by bit: the printer's check of ZB64 data."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc
