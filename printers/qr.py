"""QR matrices (ECC M) from the `qrcode` library, with a fast mask choice.

`qrcode` picks the mask by building and scoring eight full matrices in pure Python
(~8 ms for a version 7–8 code URL), which alone would cap a kiosk at ~100 labels/s.
The mask only XORs the data cells, so here the data is placed once (qrcode's own
encoder and placement, mask 0), the eight candidates are derived with whole-row
integer operations, and each is scored with the ISO/IEC 18004 §7.8.3 penalty rules
on bit strings. Function patterns and format/version bits for each (version, mask)
come from qrcode too and are cached, so the symbol is exactly what qrcode would
draw with that mask.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import qrcode
import qrcode.constants
import qrcode.util
from PIL import Image

_RUN = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE = re.compile(r"(?=(?:10111010000|00001011101))")


def _rows(modules: list[list[bool | None]]) -> list[int]:
    """Rows as integers, column 0 in the most significant bit, None counted as light."""
    return [int("".join("1" if cell else "0" for cell in row), 2) for row in modules]


@lru_cache(maxsize=128)
def _frame(version: int, mask: int, test: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(function-pattern rows, data-cell map rows) for a version and mask, data-independent.

    `test=True` leaves format and version bits light, as qrcode does while scoring masks.
    """
    code = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.map_data = lambda data, mask_pattern: None  # type: ignore[method-assign]
    code.data_cache = []  # skip encoding: only the function patterns are wanted
    code.makeImpl(test, mask)
    modules = code.modules
    function = _rows(modules)
    data_cells = [int("".join("1" if cell is None else "0" for cell in row), 2) for row in modules]
    return tuple(function), tuple(data_cells)


@lru_cache(maxsize=64)
def _mask_rows(version: int, mask: int) -> tuple[int, ...]:
    """Rows with a 1 wherever mask pattern `mask` flips a module."""
    n = version * 4 + 17
    flips = qrcode.util.mask_func(mask)
    return tuple(int("".join("1" if flips(r, c) else "0" for c in range(n)), 2) for r in range(n))


def _penalty(rows: list[int], n: int) -> int:
    """ISO/IEC 18004 penalty: runs (N1), 2×2 blocks (N2), finder-like (N3), balance (N4)."""
    lines = [format(row, f"0{n}b") for row in rows]
    # Rows and columns joined by "|" so one regex pass scores them all without crossing lines.
    text = "|".join(lines) + "|" + "|".join(map("".join, zip(*lines, strict=True)))
    runs = _RUN.findall(text)
    score = sum(map(len, runs)) - 2 * len(runs)
    score += 40 * len(_FINDER_LIKE.findall(text))
    full = (1 << (n - 1)) - 1
    for upper, lower in itertools.pairwise(rows):
        vertical = ~(upper ^ lower)  # column c: upper and lower module agree
        across = ~(upper ^ (upper >> 1))  # bit of column c: upper row agrees with column c-1
        score += 3 * (vertical & (vertical >> 1) & across & full).bit_count()
    dark = sum(row.bit_count() for row in rows)
    score += 10 * (abs(dark * 100 // (n * n) - 50) // 5)
    return score


def _to_image(rows: list[int], n: int) -> Image.Image:
    pad = -n % 8
    width_bytes = (n + pad) // 8
    ones = (1 << (n + pad)) - 1
    raw = b"".join(((row << pad) ^ ones).to_bytes(width_bytes, "big") for row in rows)
    return Image.frombytes("1", (n, n), raw)


@lru_cache(maxsize=1024)
def qr_matrix(data: str) -> Image.Image:
    """The QR symbol for `data` (ECC M, no quiet zone) as an n×n "1" image, 0 = dark."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.best_fit()
    version = code.version
    n = version * 4 + 17
    code.makeImpl(False, 0)
    placed0 = _rows(code.modules)
    mask0 = _mask_rows(version, 0)
    best_score, best_mask = -1, 0
    for mask in range(8):
        # Scored like qrcode's best_mask_pattern (format bits blank), so the choice matches.
        score = _penalty(_apply(version, mask, placed0, mask0, test=True), n)
        if best_score < 0 or score < best_score:
            best_score, best_mask = score, mask
    return _to_image(_apply(version, best_mask, placed0, mask0, test=False), n)


def _apply(
    version: int, mask: int, placed0: list[int], mask0: tuple[int, ...], *, test: bool
) -> list[int]:
    """The symbol with `mask` instead of mask 0: flip only data cells, take that mask's frame."""
    function, data_cells = _frame(version, mask, test)
    flips = _mask_rows(version, mask)
    return [
        f | ((p ^ m0 ^ m) & d)
        for f, p, m0, m, d in zip(function, placed0, mask0, flips, data_cells, strict=True)
    ]
