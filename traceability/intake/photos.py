"""Photos of paper certificates, kept on disk under the instance folder."""

from __future__ import annotations

from pathlib import Path

from traceability.errors import ValidationFailed

MAX_PHOTO_BYTES = 10 * 1024 * 1024
SIGNATURES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
PHOTO_DIR = "intake_photos"


def _extension(data: bytes) -> str:
    for magic, extension in SIGNATURES.items():
        if data.startswith(magic):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    raise ValidationFailed(
        "照片须为 JPEG、PNG 或 WebP 图片。",
        "The photo must be a JPEG, PNG or WebP image.",
        code="invalid_photo",
    )


def save_photo(home: str | Path, market_id: int, record_uuid: str, data: bytes) -> str:
    """Store the photo; returns its path relative to the instance folder."""
    if not data or len(data) > MAX_PHOTO_BYTES:
        raise ValidationFailed(
            "照片为空或超过 10 MB。",
            "The photo is empty or larger than 10 MB.",
            code="invalid_photo",
        )
    relative = Path(PHOTO_DIR) / str(int(market_id)) / f"{record_uuid}{_extension(data)}"
    target = Path(home) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative.as_posix()


def photo_file(home: str | Path, relative: str) -> Path:
    path = (Path(home) / relative).resolve()
    if Path(home).resolve() / PHOTO_DIR not in path.parents:
        raise ValidationFailed("照片路径无效。", "Invalid photo path.", code="invalid_photo")
    return path


def delete_photo(home: str | Path, relative: str | None) -> None:
    if relative:
        photo_file(home, relative).unlink(missing_ok=True)
