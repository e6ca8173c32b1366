"""Plain descriptions of what to print: media, certificate fields, and positioned elements.

Nothing here knows about the server's models: the kiosk agent builds a
`CertificateLabelData` from JSON and the server builds it from its own tables, so
`printers/` runs on a kiosk without `traceability` installed. A layout turns the data
into a `Label` whose elements are placed in printer dots; renderers and drivers only
ever look at a `Label`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MediaKind = Literal["gap", "mark", "continuous"]
Align = Literal["left", "center", "right"]
Overflow = Literal["error", "ellipsis"]

MM_PER_INCH = 25.4

DEFAULT_TITLE = "承诺达标合格证"
# 2025 style 1 (producer) wording, domain.md §1.3; the caller may pass another style.
DEFAULT_PROMISE = (
    "我承诺生产销售的食用农产品：未使用禁用农药、兽药及其他化合物；使用的常规农药、兽药残留不超标。"
)
REPRINT_MARK = "补打"


_METRIC_HEADS = {203: 8.0, 300: 12.0, 600: 24.0}


def dots_per_mm(dpi: int) -> float:
    """Dots per millimetre for a nominal dpi; 203/300/600 dpi heads are really 8/12/24 per mm."""
    return _METRIC_HEADS.get(dpi, dpi / MM_PER_INCH)


@dataclass(frozen=True)
class Media:
    """The paper in the printer: size, resolution and how the printer finds the next label.

    `width_mm` is the printable width (a 58 mm receipt roll prints 48 mm). For
    continuous media `height_mm` is the length of this particular receipt.
    """

    width_mm: float
    height_mm: float
    dpi: int = 203
    gap_mm: float = 2.0
    kind: MediaKind = "gap"
    offset_mm: float = 0.0

    @property
    def dots_per_mm(self) -> float:
        """8 at "203 dpi" and 12 at "300 dpi": the heads are metric (TSPL manual, SIZE)."""
        return dots_per_mm(self.dpi)

    def dots(self, mm: float) -> int:
        """Millimetres to whole printer dots at this media's resolution."""
        return round(mm * self.dots_per_mm)

    @property
    def width_dots(self) -> int:
        """Printable width in dots, rounded down to whole bytes (raster rows are bytes)."""
        return self.dots(self.width_mm) // 8 * 8

    @property
    def height_dots(self) -> int:
        return self.dots(self.height_mm)


@dataclass(frozen=True)
class CertificateLabelData:
    """The fields a certificate or item label shows (domain.md §1.2), as display strings.

    Formatting (dates, weights with units) is the caller's business; the printer
    prints what it is given. `sequence` is e.g. "3/100" for the third of a run of
    item labels; `reprint` prints 补打 so a second copy is visibly a second copy.
    """

    product: str
    qr_text: str
    issuer: str = ""
    date: str = ""
    quantity: str = ""
    origin: str = ""
    phone: str = ""
    promise: str = DEFAULT_PROMISE
    basis: tuple[str, ...] = ()
    certificate_no: str = ""
    title: str = DEFAULT_TITLE
    sequence: str | None = None
    reprint: bool = False


@dataclass(frozen=True)
class Box:
    """A rectangle in dots, origin at the top-left corner of the label."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h


@dataclass(frozen=True)
class TextElement:
    """A run of text that must fit inside `box`: wrapped up to `max_lines`, shrunk if needed.

    `size` is the preferred glyph height in dots and `min_size` the smallest
    acceptable one (24 dots at 203 dpi is the TSS24.BF2 cell and still OCR-readable).
    `overflow` says what happens when even `min_size` is too big: "error" (LayoutError,
    for the facts a certificate must carry whole) or "ellipsis" (cut with …, for an item
    label whose QR leads to the full certificate).
    """

    name: str
    box: Box
    text: str
    size: int
    min_size: int
    max_lines: int = 1
    align: Align = "left"
    overflow: Overflow = "error"


@dataclass(frozen=True)
class QRElement:
    """A QR code (ECC M) centred in a square `box` that also holds its 4-module quiet zone.

    The module size is the largest whole number of dots in [min_module, max_module]
    that fits, so modules never straddle dots.
    """

    name: str
    box: Box
    data: str
    min_module: int
    max_module: int


@dataclass(frozen=True)
class RuleElement:
    """A filled black rectangle: borders, separators, the frame around 补打."""

    name: str
    box: Box


Element = TextElement | QRElement | RuleElement


@dataclass(frozen=True)
class Label:
    """One label ready to render or encode: media plus positioned elements.

    Frozen and hashable so the static part can key a render cache.
    """

    media: Media
    elements: tuple[Element, ...]
    layout: str = ""

    def element(self, name: str) -> Element:
        """The element called `name` (layouts give every element a stable name)."""
        for el in self.elements:
            if el.name == name:
                return el
        raise KeyError(name)

    @property
    def qr_elements(self) -> tuple[QRElement, ...]:
        return tuple(el for el in self.elements if isinstance(el, QRElement))

    @property
    def static_elements(self) -> tuple[Element, ...]:
        """Everything except QR codes: the part shared by a run of labels."""
        return tuple(el for el in self.elements if not isinstance(el, QRElement))


@dataclass(frozen=True)
class PrintSettings:
    """Per-job media handling the driver turns into commands (SIZE/GAP/DENSITY/SPEED…).

    `density` is the printer's darkness scale (TSPL 0–15, ZPL ~SD 0–30, CPCL
    CONTRAST 0–3); `speed` is in inches per second. None leaves the printer's own
    setting alone. Copies are printed by the printer (PRINT n / ^PQ n / CPCL qty),
    never by resending.
    """

    copies: int = 1
    density: int | None = None
    speed: float | None = None
    direction: int = 1
    cut: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.copies <= 9999:
            raise ValueError(f"copies must be 1..9999, got {self.copies}")
