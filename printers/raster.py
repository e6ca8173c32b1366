"""Render a Label to a 1-bit Pillow image: the form every printer accepts and every test can check.

Mode "1" pixels are 0 = black (ink) and 1 = white. QR modules are whole dots (a
module that straddles dots prints unevenly and scans badly), the 4-module quiet zone
stays white, and text is wrapped or shrunk to fit its box, never clipped.

Speed: a kiosk prints runs of item labels that differ only in their QR code, so the
static part (text, rules) is rendered once per (media, static elements) and cached;
each label is a copy of that template with the QR matrix pasted on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from PIL import Image, ImageDraw, ImageOps

from printers.errors import LayoutError
from printers.fonts import FontChain, font_chain
from printers.model import Box, Element, Label, Media, QRElement, RuleElement, TextElement
from printers.qr import qr_matrix

QUIET_ZONE_MODULES = 4
WHITE = 1
BLACK = 0

# Closing punctuation must not start a line (simple 禁则 / kinsoku rule).
_NO_LINE_START = set("，。、；：？！）》」』】,.;:?!)%")


class TextMeasure(Protocol):
    """Anything that can tell how wide a string is in dots (a font, a printer's cell font)."""

    def length(self, text: str) -> int: ...


@dataclass(frozen=True)
class FittedText:
    """How a TextElement is actually set: the size chosen and the lines it wraps into."""

    size: int
    lines: tuple[str, ...]
    line_height: int

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


@dataclass(frozen=True)
class QRPlacement:
    """Where a QR symbol lands: top-left of the symbol itself (quiet zone excluded)."""

    x: int
    y: int
    modules: int
    module: int
    image: Image.Image  # modules × modules, mode "1"

    @property
    def size(self) -> int:
        return self.modules * self.module


def _is_word_char(char: str) -> bool:
    return ord(char) < 0x2E80 and not char.isspace()


def _tokens(text: str) -> list[str]:
    """Wrap units: each CJK character alone, Latin words and digit runs kept whole."""
    tokens: list[str] = []
    for char in text:
        if tokens and _is_word_char(char) and _is_word_char(tokens[-1][-1]):
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def wrap_text(text: str, width: int, measure: TextMeasure) -> list[str]:
    """Greedy line breaking by measured width; over-long words are broken by character."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _tokens(paragraph):
            candidate = line + token
            if measure.length(candidate.rstrip()) <= width or not line:
                if measure.length(token) > width:
                    for char in token:  # a word wider than the box: break inside it
                        if line and measure.length(line + char) > width:
                            lines.append(line)
                            line = ""
                        line += char
                else:
                    line = candidate
                continue
            lines.append(line.rstrip())
            line = token.lstrip()
            if line[:1] in _NO_LINE_START and len(lines[-1]) > 1:
                line = lines[-1][-1] + line
                lines[-1] = lines[-1][:-1]
        lines.append(line.rstrip())
    return lines


def balance_lines(text: str, width: int, measure: TextMeasure) -> list[str]:
    """Wrap into as few lines as greedy wrapping needs, but with even lengths when that is
    2–3 lines: 承诺达标/合格证, not 承诺达标合格/证."""
    lines = wrap_text(text, width, measure)
    if not 2 <= len(lines) <= 3:
        return lines
    low, high = 1, width
    while low < high:
        mid = (low + high) // 2
        if len(wrap_text(text, mid, measure)) <= len(lines):
            high = mid
        else:
            low = mid + 1
    return wrap_text(text, low, measure)


def _ink_fits(chain: FontChain, lines: list[str], height: int) -> bool:
    """Glyphs that reach beyond the nominal line box (tall brackets) must still stay inside."""
    first_top, _ = chain.ink_rows(lines[0])
    _, last_bottom = chain.ink_rows(lines[-1])
    return first_top >= 0 and (len(lines) - 1) * chain.line_height + last_bottom <= height


ELLIPSIS = "…"


def _fits_at(element: TextElement, text: str, size: int) -> FittedText | None:
    box = element.box
    chain = font_chain(size)
    lines = balance_lines(text, box.w, chain)
    if (
        all(chain.length(line) <= box.w for line in lines)
        and len(lines) <= element.max_lines
        and len(lines) * chain.line_height <= box.h
        and _ink_fits(chain, lines, box.h)
    ):
        return FittedText(size, tuple(lines), chain.line_height)
    return None


def _abbreviated(element: TextElement) -> FittedText | None:
    """The longest start of the text that fits at `min_size` with … after it."""
    low, high, best = 1, len(element.text) - 1, None
    while low <= high:
        mid = (low + high) // 2
        fitted = _fits_at(element, element.text[:mid].rstrip() + ELLIPSIS, element.min_size)
        if fitted is None:
            high = mid - 1
        else:
            best, low = fitted, mid + 1
    return best


@lru_cache(maxsize=4096)
def fit_text(element: TextElement) -> FittedText:
    """Largest size from `size` down to `min_size` at which the text fits its box.

    Wrapping is tried before shrinking, so a long product name goes onto a second line
    in the big size first. Then an "ellipsis" element is cut short with …; any other
    raises LayoutError rather than ever clipping.
    """
    for size in range(element.size, element.min_size - 1, -1):
        fitted = _fits_at(element, element.text, size)
        if fitted is not None:
            return fitted
    if element.overflow == "ellipsis":
        fitted = _abbreviated(element)
        if fitted is not None:
            return fitted
    box = element.box
    raise LayoutError(
        f"“{element.name}”文字太长，放不下（{element.text[:20]}…）",
        f"text for {element.name!r} does not fit its {box.w}×{box.h}-dot box "
        f"even at {element.min_size} dots: {element.text[:40]!r}",
        fields=(element.name,),
    )


def check_fits(label: Label) -> None:
    """Raise LayoutError now if any element of `label` cannot be drawn (text, QR).

    A label is laid out in full before the first byte goes to a printer, so a label that
    cannot print fails the job cleanly instead of stopping a run halfway.
    """
    for element in label.elements:
        if isinstance(element, TextElement) and element.text:
            fit_text(element)
        elif isinstance(element, QRElement):
            place_qr(element)


def line_offset(element: TextElement, fitted: FittedText, line: str) -> int:
    """Horizontal start of one line inside the element's box, by alignment."""
    free = element.box.w - font_chain(fitted.size).length(line)
    if element.align == "center":
        return element.box.x + free // 2
    if element.align == "right":
        return element.box.x + free
    return element.box.x


def place_qr(element: QRElement) -> QRPlacement:
    """Choose the whole-dot module size for a QR and centre it, quiet zone included, in its box.

    Raises LayoutError when even `min_module` dots per module does not fit: the URL
    is too long for this label, and a smaller module would not scan reliably.
    """
    matrix = qr_matrix(element.data)
    n = matrix.width
    side = min(element.box.w, element.box.h)
    module = min(element.max_module, side // (n + 2 * QUIET_ZONE_MODULES))
    if module < element.min_module:
        needed = (n + 2 * QUIET_ZONE_MODULES) * element.min_module
        raise LayoutError(
            f"二维码内容太长，标签上放不下（需要 {needed} 点，只有 {side} 点）",
            f"QR code with {n} modules needs {needed} dots at {element.min_module} dots/module "
            f"but the box is {side} dots; shorten the URL or use a larger label",
        )
    size = n * module
    x = element.box.x + (element.box.w - size) // 2
    y = element.box.y + (element.box.h - size) // 2
    return QRPlacement(x, y, n, module, matrix)


def _draw_text(draw: ImageDraw.ImageDraw, element: TextElement) -> None:
    fitted = fit_text(element)
    chain = font_chain(fitted.size)
    top = element.box.y
    for line in fitted.lines:
        chain.draw(draw, line_offset(element, fitted, line), top, line)
        top += fitted.line_height


def _draw_rule(draw: ImageDraw.ImageDraw, element: RuleElement) -> None:
    b = element.box
    draw.rectangle((b.x, b.y, b.right - 1, b.bottom - 1), fill=BLACK)


def draw_qr(image: Image.Image, element: QRElement) -> None:
    """Paste a QR scaled by an integer factor with NEAREST: never dithered, never blurred."""
    placed = place_qr(element)
    symbol = placed.image.resize((placed.size, placed.size), Image.Resampling.NEAREST)
    image.paste(symbol, (placed.x, placed.y))


@lru_cache(maxsize=128)
def _static_image(media: Media, elements: tuple[Element, ...]) -> Image.Image:
    image = Image.new("1", (media.width_dots, media.height_dots), WHITE)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # no antialiasing: a thermal head has no grey
    for element in elements:
        if isinstance(element, TextElement):
            if element.text:
                _draw_text(draw, element)
        elif isinstance(element, RuleElement):
            _draw_rule(draw, element)
    return image


def render_elements(media: Media, elements: Iterable[Element]) -> Image.Image:
    """Render just `elements` on a blank label (drivers use this for the raster part)."""
    elements = tuple(elements)
    static = tuple(el for el in elements if not isinstance(el, QRElement))
    image = _static_image(media, static).copy()
    for element in elements:
        if isinstance(element, QRElement):
            draw_qr(image, element)
    return image


def render_raster(label: Label) -> Image.Image:
    """The whole label as a mode "1" image, width a multiple of 8 dots."""
    return render_elements(label.media, label.elements)


def ink_box(image: Image.Image, box: Box) -> tuple[int, int, int, int] | None:
    """Bounding box of black pixels inside `box`, relative to the box (tests use it)."""
    crop = image.crop((box.x, box.y, box.right, box.bottom)).convert("L")
    return ImageOps.invert(crop).getbbox()
