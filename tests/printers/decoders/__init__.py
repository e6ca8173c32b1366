"""Decoders that turn printer bytes back into a picture, written from the command manuals.

They share nothing with `printers/` on purpose: native QR commands are re-encoded
with segno (production uses the `qrcode` library), bitmaps are unpacked by hand, and
native text is kept as decoded strings (we have no printer ROM fonts to draw it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import segno
from PIL import Image


@dataclass(frozen=True)
class TextRun:
    """A native text command: where, which font, and the text decoded from its bytes."""

    x: int
    y: int
    font: str
    text: str
    raw: bytes


@dataclass(frozen=True)
class QrRun:
    """A native QR command: top-left of the symbol, module size, data."""

    x: int
    y: int
    module: int
    data: str


@dataclass
class Decoded:
    """What a printer would put on paper, as far as the decoder can tell."""

    image: Image.Image
    texts: list[TextRun] = field(default_factory=list)
    qrs: list[QrRun] = field(default_factory=list)
    copies: int = 1
    commands: list[str] = field(default_factory=list)

    def text_strings(self) -> list[str]:
        return [run.text for run in self.texts]


def blank(width: int, height: int) -> Image.Image:
    return Image.new("1", (width, height), 1)


def paste_bits(
    canvas: Image.Image,
    x: int,
    y: int,
    width_bytes: int,
    rows: int,
    data: bytes,
    *,
    one_is_black: bool,
) -> None:
    """Unpack a packed 1-bit bitmap and paste it with its top-left at (x, y)."""
    if one_is_black:
        data = bytes(b ^ 0xFF for b in data)
    patch = Image.frombytes("1", (width_bytes * 8, rows), data)
    canvas.paste(patch, (x, y))


def draw_segno_qr(canvas: Image.Image, x: int, y: int, module: int, data: str) -> int:
    """Draw `data` as a QR (ECC M, segno's own encoding) at (x, y); returns its size in dots."""
    qr = segno.make_qr(data, error="m", boost_error=False)
    matrix = qr.matrix
    n = len(matrix)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                canvas.paste(
                    0,
                    (
                        x + col * module,
                        y + row * module,
                        x + (col + 1) * module,
                        y + (row + 1) * module,
                    ),
                )
    return n * module


def split_jobs(data: bytes, language: str) -> list[bytes]:
    """Concatenated TSPL or CPCL label jobs, one per label, skipping over bitmap data.

    A job ends with its print line (TSPL `PRINT m,n`, CPCL `PRINT`); raster data is
    binary and skipped by its declared size, so a stray "PRINT" inside it cannot cut a job.
    """
    graphic = b"BITMAP " if language == "tspl" else b"CG "
    jobs, start, i = [], 0, 0
    while i < len(data):
        end = data.index(b"\r\n", i)
        line = data[i:end]
        if line.startswith(graphic):
            sep = b"," if language == "tspl" else b" "
            fields = data[i + len(graphic) :].split(sep, 5 if language == "tspl" else 4)
            if language == "tspl":
                wb, h = int(fields[2]), int(fields[3])
                skip = sum(len(f) + 1 for f in fields[:5])
            else:
                wb, h = int(fields[0]), int(fields[1])
                skip = sum(len(f) + 1 for f in fields[:4])
            i = i + len(graphic) + skip + wb * h + 2
            continue
        i = end + 2
        if line == b"PRINT" or line.startswith(b"PRINT "):
            jobs.append(data[start:i])
            start = i
    assert start == len(data), "bytes after the last job"
    return jobs
