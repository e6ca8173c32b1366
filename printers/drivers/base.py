"""What every driver shares: the Driver interface and the per-element native/raster plan.

A driver turns a Label into bytes. In native mode each element is checked on its
own: text goes native only if it encodes strictly in the profile's charset and fits
in the resident font; a QR goes native only if the printer has a QR command and the
data is plain ASCII. Everything else is rendered into one bitmap, so a rare name
character (𠮷) or a ¥ costs a raster field, never a wrong glyph (printers.md §1.2).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from PIL import Image

from printers.errors import LayoutError
from printers.model import (
    Element,
    Label,
    Media,
    MediaKind,
    PrintSettings,
    QRElement,
    TextElement,
)
from printers.profiles import DEFAULT_PROFILE, Language, PrinterProfile, get_profile
from printers.raster import QRPlacement, place_qr, render_elements, wrap_text
from printers.status import PrinterStatus

Mode = Literal["raster", "native"]
ElementMode = Literal["native", "raster"]


@dataclass(frozen=True)
class EncodeResult:
    """The bytes to send, and which elements went native or raster (log it: silent
    fallbacks are how a printer ends up printing boxes)."""

    data: bytes
    modes: dict[str, ElementMode]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class NativeLine:
    """One line of resident-font text: top-left in dots, glyph height in dots."""

    x: int
    y: int
    text: str
    size: int


@dataclass
class Plan:
    """Per-element decisions for one label."""

    raster: list[Element] = field(default_factory=list)
    texts: list[tuple[TextElement, list[NativeLine]]] = field(default_factory=list)
    qrs: list[tuple[QRElement, QRPlacement]] = field(default_factory=list)
    modes: dict[str, ElementMode] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RasterPatch:
    """A rectangle of the rendered label: `image` goes at (x, y); x and width are whole bytes."""

    x: int
    y: int
    image: Image.Image

    def row_bytes(self) -> int:
        return self.image.width // 8


class _CellMeasure:
    """Width of text in a fixed-cell bitmap font: hanzi one cell, ASCII half a cell."""

    def __init__(self, size: int) -> None:
        self.size = size

    def length(self, text: str) -> int:
        return sum(self.size if is_wide(ch) else self.size // 2 for ch in text)


def is_wide(char: str) -> bool:
    """Double-byte (full cell) in a GB font: everything outside ASCII."""
    return ord(char) > 0x7F


def native_line_pitch(size: int) -> int:
    return size + max(2, size // 6)


def layout_native_text(element: TextElement, sizes: Iterable[int]) -> list[NativeLine] | None:
    """Wrap and place text in a fixed-cell font, trying each size in turn; None if none fits."""
    box = element.box
    for size in sizes:
        measure = _CellMeasure(size)
        lines = wrap_text(element.text, box.w, measure)
        pitch = native_line_pitch(size)
        if len(lines) > element.max_lines or (len(lines) - 1) * pitch + size > box.h:
            continue
        if any(measure.length(line) > box.w for line in lines):
            continue
        placed = []
        for i, line in enumerate(lines):
            free = box.w - measure.length(line)
            offset = {"left": 0, "center": free // 2, "right": free}[element.align]
            placed.append(NativeLine(box.x + offset, box.y + i * pitch, line, size))
        return placed
    return None


def crop_to_ink(media: Media, elements: Sequence[Element]) -> RasterPatch | None:
    """Render `elements` and cut the smallest byte-aligned rectangle that holds their ink."""
    if not elements:
        return None
    image = render_elements(media, elements)
    bbox = image.convert("L").point(lambda v: 255 - v).getbbox()
    if bbox is None:
        return None
    left, top, right, bottom = bbox
    left = left // 8 * 8
    right = min(image.width, -(-right // 8) * 8)
    return RasterPatch(left, top, image.crop((left, top, right, bottom)))


def ink_bits(image: Image.Image) -> bytes:
    """Rows of bytes with bit 1 = black (ZPL, CPCL, ESC/POS); Pillow "1" has 0 = black."""
    return bytes(b ^ 0xFF for b in image.tobytes())


class Driver(ABC):
    """Label → bytes for one command language, plus that language's status query."""

    language: ClassVar[Language]
    # True when a ready status after a job means the job has come out (the printer
    # reports queued or printing work), not merely that the printer is idle.
    status_proves_completion: ClassVar[bool] = False
    # The paper this language's printers hold. A label printer (TSPL, ZPL, CPCL) feeds
    # die-cut or black-mark labels: a receipt, as long as its content, would run across the
    # gaps. A receipt printer (ESC/POS) feeds a continuous roll and cuts: a label layout
    # comes out as a slip of that size (printers.md §1.5).
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({"gap", "mark"})

    def __init__(self, profile: PrinterProfile | None = None) -> None:
        self.profile = profile or get_profile(DEFAULT_PROFILE[self.language])

    @abstractmethod
    def encode(
        self, label: Label, *, mode: Mode = "native", settings: PrintSettings | None = None
    ) -> EncodeResult:
        """The complete job for `label`, ready to write to a transport."""

    def refuse_unprintable(self, label: Label) -> None:
        """Raise LayoutError if this printer cannot take `label`: paper of another kind (a
        receipt on a label printer) or wider than the profile's head (the QR side is lost)."""
        media = label.media
        name = label.layout or "label"
        if media.kind not in self.media_kinds:
            raise LayoutError(
                f"{self.language.upper()} 打印机不能打印版式 {name}（纸张类型 {media.kind}）",
                f"a {self.language.upper()} printer cannot print layout {name} "
                f"({media.kind} media)",
            )
        if media.width_dots > self.profile.width_dots:
            raise LayoutError(
                f"版式 {name} 宽 {media.width_dots} 点，打印机 {self.profile.name} 只有 "
                f"{self.profile.width_dots} 点宽",
                f"layout {name} is {media.width_dots} dots wide, printer profile "
                f"{self.profile.name} prints {self.profile.width_dots}",
            )

    def status_request(self) -> bytes | None:
        """Bytes that make the printer report its state; None if the language has none."""
        return None

    def status_reply_complete(self, reply: bytes) -> bool:
        """True once `reply` holds a whole answer (so the reader can stop waiting)."""
        return bool(reply)

    def parse_status(self, reply: bytes) -> PrinterStatus:
        return PrinterStatus("unknown", raw=reply)

    # Shared planning ----------------------------------------------------------------

    def native_text_sizes(self, element: TextElement) -> Iterable[int]:
        """Font heights to try for `element`; default: the resident cell times 1, 2, 3…"""
        cell = self.profile.native_font_dots
        smallest = max(1, -(-element.min_size // cell))
        largest = max(smallest, round(element.size / cell))
        return [cell * m for m in range(largest, smallest - 1, -1)]

    def text_ok(self, text: str) -> str | None:
        """None when `text` may be sent natively, else the reason it goes raster."""
        charset = self.profile.text_charset
        if charset is None or not self.profile.native_font:
            return "no resident CJK font in profile"
        try:
            text.encode(charset, "strict")
        except UnicodeEncodeError as exc:
            return f"{text[exc.start : exc.end]!r} is not in {charset}"
        return None

    def qr_ok(self, data: str) -> str | None:
        """None when the printer's QR command can carry `data`, else the reason."""
        if not self.profile.native_qr:
            return "no native QR in profile"
        if not data.isascii() or not data.isprintable():
            return "QR data is not printable ASCII"
        return None

    def plan(
        self,
        label: Label,
        mode: Mode,
        *,
        can_place: Callable[[Element], bool] = lambda el: True,
    ) -> Plan:
        """Decide native or raster for each element of `label`."""
        plan = Plan()
        for element in label.elements:
            if isinstance(element, TextElement) and not element.text:
                continue  # an empty optional field draws nothing either way
            native = mode == "native" and can_place(element)
            if native and isinstance(element, TextElement):
                reason = self.text_ok(element.text)
                lines = (
                    None if reason else layout_native_text(element, self.native_text_sizes(element))
                )
                if lines is not None:
                    plan.texts.append((element, lines))
                    plan.modes[element.name] = "native"
                    continue
                plan.warnings.append(f"{element.name}: raster ({reason or 'does not fit font'})")
            elif native and isinstance(element, QRElement):
                reason = self.qr_ok(element.data)
                placed = place_qr(element)
                if reason is None and placed.module <= self.profile.max_qr_module:
                    plan.qrs.append((element, placed))
                    plan.modes[element.name] = "native"
                    continue
                plan.warnings.append(f"{element.name}: raster ({reason or 'module too big'})")
            plan.raster.append(element)
            plan.modes[element.name] = "raster"
        return plan
