"""Sizes of files and uploads as people read them, for limits named in messages."""

from __future__ import annotations


def file_size(size: int) -> str:
    """A size as people read it, with its unit: "0 B", "30 KB", "10.5 MB" (binary units,
    one decimal at most), so a small limit or file never reads as "0 MB"."""
    if size < 1024:
        return f"{size} B"
    value, unit = size / 1024, "KB"
    for larger in ("MB", "GB"):
        if round(value, 1) < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"
