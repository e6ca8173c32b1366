"""Finding a CJK font and drawing mixed text with per-character fallback.

A label printed with a Latin-only font shows empty boxes where the product name
should be, and nobody notices until a buyer complains; so we refuse loudly when no
CJK font is installed. Rare name characters (𠮷, 䶮) are missing from some CJK fonts
(WenQuanYi Micro Hei lacks both), so every other font found is kept as a fallback and
used character by character.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageDraw, ImageFont

from printers.errors import FontNotFoundError

ENV_VAR = "PRINTERS_CJK_FONT"

# (path, preferred face name suffix) in order of preference. Noto Sans CJK SC first
# because it covers CJK Extension B name characters; WenQuanYi is the common fallback.
_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "SC"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "SC"),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", "SC"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", ""),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", ""),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", ""),
    ("C:/Windows/Fonts/msyh.ttc", ""),
    ("C:/Windows/Fonts/simhei.ttf", ""),
    ("/System/Library/Fonts/PingFang.ttc", ""),
    ("/System/Library/Fonts/STHeiti Medium.ttc", ""),
)
_PROBE = "承诺达标合格证"
_NOTDEF_PROBE = "\U0010fffd"  # private use, in no font: renders as .notdef


@dataclass(frozen=True)
class FontSource:
    """One font face on disk: a file and the face index inside a .ttc collection."""

    path: str
    index: int = 0

    def load(self, size: int) -> ImageFont.FreeTypeFont:
        return _load(self.path, self.index, size)


@lru_cache(maxsize=256)
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def _has_glyph(font: ImageFont.FreeTypeFont, char: str) -> bool:
    """Pillow has no "has glyph" call; a missing glyph renders exactly like .notdef."""
    key = (font.path, font.index, font.size, char)
    cached = _GLYPH_CACHE.get(key)
    if cached is None:
        cached = _signature(font, char) != _signature(font, _NOTDEF_PROBE)
        _GLYPH_CACHE[key] = cached
    return cached


_GLYPH_CACHE: dict[tuple[object, ...], bool] = {}


def _signature(font: ImageFont.FreeTypeFont, char: str) -> tuple[object, ...]:
    mask = font.getmask(char)
    return (mask.size, bytes(mask))


def _faces(path: str) -> Iterator[tuple[int, str]]:
    """(index, family name) of each face in a font file; stops at the first missing index."""
    for index in range(16):
        try:
            family = ImageFont.truetype(path, 24, index=index).getname()[0] or ""
        except OSError:
            return
        yield index, family


def _source_for(path: str, prefer: str = "") -> FontSource | None:
    if "#" in path:
        file, _, idx = path.rpartition("#")
        path, faces = file, [(int(idx), "")]
    else:
        faces = list(_faces(path)) if Path(path).is_file() else []
    if not faces:
        return None
    chosen = next((i for i, name in faces if prefer and name.endswith(prefer)), faces[0][0])
    source = FontSource(path, chosen)
    try:
        font = source.load(24)
    except OSError:
        return None
    return source if all(_has_glyph(font, ch) for ch in _PROBE) else None


def _fc_match() -> str | None:
    """Ask fontconfig for a Chinese font when none of the usual paths exists."""
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out or None


@lru_cache(maxsize=1)
def find_cjk_fonts() -> tuple[FontSource, ...]:
    """All usable CJK faces, best first; `$PRINTERS_CJK_FONT` (path or path#index) wins.

    Raises FontNotFoundError with an install hint when there is none.
    """
    found: list[FontSource] = []
    override = os.environ.get(ENV_VAR)
    if override:
        source = _source_for(override)
        if source is None:
            raise FontNotFoundError(
                f"环境变量 {ENV_VAR} 指定的字体 {override} 不存在或不含中文字形",
                f"{ENV_VAR}={override} is not a readable font with Chinese glyphs",
            )
        found.append(source)
    for path, prefer in _CANDIDATES:
        source = _source_for(path, prefer)
        if source is not None and source not in found:
            found.append(source)
    if not found:
        matched = _fc_match()
        source = _source_for(matched) if matched else None
        if source is not None:
            found.append(source)
    if not found:
        raise FontNotFoundError(
            "找不到中文字体，无法打印中文。请安装 fonts-noto-cjk 或 fonts-wqy-microhei，"
            f"或用环境变量 {ENV_VAR} 指定字体文件",
            "No CJK font found, so Chinese text cannot be drawn. Install fonts-noto-cjk or "
            f"fonts-wqy-microhei, or point {ENV_VAR} at a font file",
        )
    return tuple(found)


def line_height_for(size: int) -> int:
    """Line pitch for text `size` dots tall: glyph plus room for descenders and a hairline gap."""
    return round(size * 1.16)


class FontChain:
    """Fonts of one pixel size in fallback order; measures and draws mixed-script text."""

    def __init__(self, sources: tuple[FontSource, ...], size: int) -> None:
        self.size = size
        self.fonts = [s.load(size) for s in sources]
        # Our own line metrics rather than the fonts' (Noto's are very loose): hanzi sit
        # in about 0.88 em above the baseline, Latin descenders reach about 0.21 em below.
        self.ascent = round(size * 0.92)
        self.line_height = line_height_for(size)

    def runs(self, text: str) -> list[tuple[ImageFont.FreeTypeFont, str]]:
        """Split `text` into runs each drawn with the first font that has its glyphs."""
        runs: list[tuple[ImageFont.FreeTypeFont, str]] = []
        for char in text:
            font = next((f for f in self.fonts if _has_glyph(f, char)), self.fonts[0])
            if runs and runs[-1][0] is font:
                runs[-1] = (font, runs[-1][1] + char)
            else:
                runs.append((font, char))
        return runs

    def length(self, text: str) -> int:
        """Advance width of `text` in dots (rounded up so a fit check is never optimistic)."""
        total = sum(font.getlength(run) for font, run in self.runs(text))
        return int(-(-total // 1))

    def ink_rows(self, text: str) -> tuple[int, int]:
        """(top, bottom) of the ink of one line relative to the line's top edge."""
        top, bottom = 0, 0
        for font, run in self.runs(text):
            _, run_top, _, run_bottom = font.getbbox(run, anchor="ls")
            top = min(top, self.ascent + int(run_top))
            bottom = max(bottom, self.ascent + int(run_bottom))
        return top, bottom

    def draw(self, draw: ImageDraw.ImageDraw, x: int, top: int, text: str) -> None:
        """Draw one line in black with its line box's top-left corner at (x, top)."""
        baseline = top + self.ascent
        pos = float(x)
        for font, run in self.runs(text):
            draw.text((pos, baseline), run, font=font, fill=0, anchor="ls")
            pos += font.getlength(run)


@lru_cache(maxsize=64)
def font_chain(size: int) -> FontChain:
    """The cached FontChain for the system's CJK fonts at `size` dots."""
    return FontChain(find_cjk_fonts(), size)
