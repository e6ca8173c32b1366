"""A4 PDF sheets of labels for office laser printers (domain.md §3.3: A4, 6 or more per sheet).

Labels are tiled at their own resolution on an A4 page of the same resolution, with
thin cut marks between them; Pillow writes the multi-page PDF.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

from printers.errors import LayoutError
from printers.model import Label
from printers.raster import render_raster

A4_MM = (210.0, 297.0)


def render_pdf_sheet(
    labels: Sequence[Label],
    *,
    page_mm: tuple[float, float] = A4_MM,
    margin_mm: float = 10.0,
    spacing_mm: float = 3.0,
) -> bytes:
    """All `labels` tiled row by row over as many pages as needed, as PDF bytes."""
    if not labels:
        raise LayoutError("没有要打印的标签", "no labels to put on the sheet")
    media = labels[0].media
    per_mm = media.dots_per_mm
    page_w, page_h = round(page_mm[0] * per_mm), round(page_mm[1] * per_mm)
    margin, spacing = round(margin_mm * per_mm), round(spacing_mm * per_mm)
    cell_w, cell_h = media.width_dots + spacing, media.height_dots + spacing
    columns = (page_w - 2 * margin + spacing) // cell_w
    rows = (page_h - 2 * margin + spacing) // cell_h
    if columns < 1 or rows < 1:
        raise LayoutError(
            "标签比纸张还大", f"a {media.width_mm}×{media.height_mm} mm label does not fit the page"
        )
    pages: list[Image.Image] = []
    for index, label in enumerate(labels):
        slot = index % (columns * rows)
        if slot == 0:
            pages.append(Image.new("1", (page_w, page_h), 1))
        x = margin + slot % columns * cell_w
        y = margin + slot // columns * cell_h
        pages[-1].paste(render_raster(label), (x, y))
        _cut_marks(ImageDraw.Draw(pages[-1]), x, y, media.width_dots, media.height_dots)
    out = io.BytesIO()
    dpi = per_mm * 25.4
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue()


def _cut_marks(draw: ImageDraw.ImageDraw, x: int, y: int, w: int, h: int) -> None:
    """Short corner ticks outside the label so scissors know where to go."""
    tick = 12
    for cx, cy in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
        dx = -1 if cx == x else 1
        dy = -1 if cy == y else 1
        draw.line((cx + dx * 2, cy, cx + dx * tick, cy), fill=0)
        draw.line((cx, cy + dy * 2, cx, cy + dy * tick), fill=0)
