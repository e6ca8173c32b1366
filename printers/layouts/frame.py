"""A small builder that places elements in millimetres and stacks text top-down in dots.

Layouts are written in mm so one description serves 203 and 300 dpi; positions are
converted to whole dots here, once, so renderers and drivers agree to the dot.
"""

from __future__ import annotations

from printers.errors import LayoutError
from printers.fonts import line_height_for
from printers.model import (
    Align,
    Box,
    Element,
    Label,
    Media,
    Overflow,
    QRElement,
    RuleElement,
    TextElement,
    dots_per_mm,
)
from printers.raster import fit_text

# 3.0 mm = 24 dots at 203 dpi: the TSS24.BF2 cell and the smallest hanzi that scans by eye
# and by OCR on a thermal label (printers.md §6.6).
MIN_TEXT_MM = 3.0


class Frame:
    """Collects elements for one label and converts mm to dots for its media."""

    def __init__(self, media: Media) -> None:
        self.media = media
        self.elements: list[Element] = []

    def dots(self, mm: float) -> int:
        return self.media.dots(mm)

    def text(
        self,
        name: str,
        text: str,
        box_mm: tuple[float, float, float],
        size_mm: float,
        *,
        lines: int = 1,
        min_mm: float = MIN_TEXT_MM,
        align: Align = "left",
        y_dots: int | None = None,
        overflow: Overflow = "error",
    ) -> int:
        """Place a text box `lines` lines tall at (x, y, w) mm; returns its bottom in dots."""
        x_mm, y_mm, w_mm = box_mm
        size = self.dots(size_mm)
        y = self.dots(y_mm) if y_dots is None else y_dots
        height = lines * line_height_for(size)
        box = Box(self.dots(x_mm), y, self.dots(w_mm), height)
        self.elements.append(
            TextElement(name, box, text, size, min(size, self.dots(min_mm)), lines, align, overflow)
        )
        return box.bottom

    def lines_needed(self, text: str, w_mm: float, size_mm: float) -> int:
        """How many lines `text` wraps into at `size_mm` in a column `w_mm` wide."""
        if not text:
            return 0
        size = self.dots(size_mm)
        probe = TextElement("probe", Box(0, 0, self.dots(w_mm), 10_000), text, size, size, 10_000)
        return len(fit_text(probe).lines)

    def qr(
        self,
        name: str,
        data: str,
        x_mm: float,
        y_mm: float,
        side_mm: float,
        *,
        y_dots: int | None = None,
    ) -> Box:
        """A square QR box (quiet zone inside it) with dpi-appropriate module limits."""
        side = self.dots(side_mm)
        y = self.dots(y_mm) if y_dots is None else y_dots
        box = Box(self.dots(x_mm), y, side, side)
        self.elements.append(QRElement(name, box, data, *qr_module_limits(self.media.dpi)))
        return box

    def rule(self, name: str, x_mm: float, y_dots: int, w_mm: float, h_dots: int = 2) -> int:
        box = Box(self.dots(x_mm), y_dots, self.dots(w_mm), h_dots)
        self.elements.append(RuleElement(name, box))
        return box.bottom

    def label(self, layout: str) -> Label:
        """Freeze into a Label, refusing any element that falls off the media."""
        for element in self.elements:
            b = element.box
            if (
                b.x < 0
                or b.y < 0
                or b.right > self.media.width_dots
                or (b.bottom > self.media.height_dots)
            ):
                raise LayoutError(
                    f"版式 {layout} 的元素 {element.name} 超出标签范围",
                    f"layout {layout}: element {element.name} {b} is outside the "
                    f"{self.media.width_dots}×{self.media.height_dots}-dot media",
                )
        return Label(self.media, tuple(self.elements), layout)


def qr_module_limits(dpi: int) -> tuple[int, int]:
    """(min, max) dots per QR module: ≥ 0.375 mm and never under 3 dots, at most ~0.6 mm."""
    per_mm = dots_per_mm(dpi)
    smallest = max(3, int(per_mm * 0.375))
    return smallest, max(smallest, round(per_mm * 0.6))


def mark_text(sequence: str | None, reprint: bool) -> str:
    """The small line that says 补打 and/or 3/100 — empty for an ordinary single label."""
    parts = (["补打"] if reprint else []) + ([sequence] if sequence else [])
    return " ".join(parts)
