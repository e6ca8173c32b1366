"""QR matrices (ECC M) from the `qrcode` library, with a fast mask choice.

`qrcode` picks the mask by building and scoring eight full matrices in pure Python
(~8 ms for a version 7–8 code URL), which alone would cap a kiosk at ~100 labels/s.
The mask only XORs the data cells, so here the data is placed once (qrcode's own
encoder and placement, mask 0), and each of the eight candidates is one integer
expression over the whole symbol: every row and every column laid end to end in a
single bit string (a "sheet"), so the ISO/IEC 18004 §7.8.3 penalty rules become a
few dozen shifts, ANDs and popcounts instead of a loop over modules. Function
patterns and format/version bits for each (version, mask) come from qrcode too and
are cached, so the symbol is exactly what qrcode would draw with that mask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import qrcode
import qrcode.constants
import qrcode.util
from PIL import Image

Modules = list[list[bool | None]]

# ISO/IEC 18004 N3: 1:1:3:1:1 finder-like run with four light modules on either side.
_FINDER_LIKE = ("10111010000", "00001011101")


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _sheet(lines: list[bytes]) -> int:
    """Lines of 0/1 bytes laid end to end as one integer, the first line most significant."""
    return int(b"".join(lines).translate(_DIGITS), 2)


def _sheet_of(modules: Modules, one: Callable[[bool | None], bool]) -> int:
    """All rows, then all columns, as one bit string, 1 where `one(cell)`.

    Row 0 is the most significant line and column 0 the most significant bit of a line,
    so a line reads left to right (or top to bottom) like the symbol.
    """
    rows = [bytes(map(one, row)) for row in modules]
    return _sheet(rows + [bytes(col) for col in zip(*rows, strict=True)])


@dataclass(frozen=True)
class _Grid:
    """Bit masks that keep each penalty rule inside one line of the sheet, for side n."""

    n: int
    all_cells: int  # every cell of the sheet (2n lines of n bits)
    rows: int  # the row half
    pairs: int  # bit j where j and j+1 are in the same line
    windows11: int  # bit j where j..j+10 are in the same line
    blocks: int  # row half, bit j where j, j+1 are in one row and not in the first row

    @classmethod
    @lru_cache(maxsize=64)
    def of(cls, n: int) -> _Grid:
        def every_line(line: int, lines: int) -> int:
            return int(format(line, f"0{n}b") * lines, 2)

        line_all = (1 << n) - 1
        pairs = line_all >> 1  # low n-1 bits of a line: the bit above is in the same line
        windows11 = line_all >> 10
        rows_pairs = every_line(pairs, n - 1) << (n * n)  # rows 1..n-1 (row 0 is the top line)
        return cls(
            n=n,
            all_cells=(1 << (2 * n * n)) - 1,
            rows=((1 << (n * n)) - 1) << (n * n),
            pairs=every_line(pairs, 2 * n),
            windows11=every_line(windows11, 2 * n),
            blocks=rows_pairs,
        )


def penalty(sheet: int, grid: _Grid) -> int:
    """ISO/IEC 18004 penalty, as qrcode's lost_point scores it: N1 + N2 + N3 + N4.

    N1: each run of ≥ 5 equal modules in a row or column scores its length − 2, which is
    its number of 5-module windows plus 2. N2: 3 for each 2×2 block of one colour.
    N3: 40 for each finder-like pattern. N4: 10 for every full 5 % the dark share is off 50 %.
    """
    n = grid.n
    same = ~(sheet ^ (sheet >> 1)) & grid.pairs  # bit j: modules j and j+1 agree
    fives = same & (same >> 1) & (same >> 2) & (same >> 3)  # j..j+4 agree
    runs = fives & ~(fives >> 1)  # the top window of each run
    score = fives.bit_count() + 2 * runs.bit_count()

    vertical = ~(sheet ^ (sheet >> n))  # bit j agrees with the module one row above
    score += 3 * (vertical & (vertical >> 1) & same & grid.blocks).bit_count()

    light = sheet ^ grid.all_cells
    for pattern in _FINDER_LIKE:
        found = grid.windows11
        for offset, bit in enumerate(reversed(pattern)):
            found &= (sheet if bit == "1" else light) >> offset
        score += 40 * found.bit_count()

    cells = n * n
    dark = (sheet & grid.rows).bit_count()
    score += 10 * (abs(100 * dark - 50 * cells) // (5 * cells))
    return score


@lru_cache(maxsize=128)
def _frame(version: int, mask: int, test: bool) -> tuple[int, int]:
    """(function-pattern sheet, data-cell sheet) for a version and mask, data-independent.

    `test=True` leaves format and version bits light, as qrcode does while scoring masks.
    """
    code = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.map_data = lambda data, mask_pattern: None  # type: ignore[method-assign]
    code.data_cache = []  # skip encoding: only the function patterns are wanted
    code.makeImpl(test, mask)
    modules = code.modules
    return _sheet_of(modules, bool), _sheet_of(modules, lambda cell: cell is None)


@lru_cache(maxsize=64)
def _mask_sheet(version: int, mask: int) -> int:
    """1 wherever mask pattern `mask` flips a module."""
    n = version * 4 + 17
    flips = qrcode.util.mask_func(mask)
    rows = [bytes(bool(flips(r, c)) for c in range(n)) for r in range(n)]
    cols = [bytes(col) for col in zip(*rows, strict=True)]
    return _sheet(rows + cols)


def _masked(version: int, mask: int, placed0: int, *, test: bool) -> int:
    """The symbol with `mask` instead of mask 0: flip only data cells, take that mask's frame."""
    function, data_cells = _frame(version, mask, test)
    flips = _mask_sheet(version, 0) ^ _mask_sheet(version, mask)
    return function | ((placed0 ^ flips) & data_cells)


def _to_image(sheet: int, n: int) -> Image.Image:
    """The row half of a sheet as an n×n "1" image, 0 = dark."""
    pad = -n % 8
    width_bytes = (n + pad) // 8
    line = (1 << n) - 1
    ones = (1 << (n + pad)) - 1
    rows = (sheet >> (n * (2 * n - 1 - r)) & line for r in range(n))
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
    placed0 = _sheet_of(code.modules, bool)
    grid = _Grid.of(n)
    # Scored like qrcode's best_mask_pattern (format bits blank), so the choice matches;
    # min() keeps the first of equal scores, as qrcode does.
    best_mask = min(range(8), key=lambda m: penalty(_masked(version, m, placed0, test=True), grid))
    return _to_image(_masked(version, best_mask, placed0, test=False), n)
