"""Text encodings of the codes: RFC 4648 base32 (A–Z 2–7, no padding) and base64url.

Base32 upper case keeps the whole URL in the QR alphanumeric set, and survives scanners
that flip CAPS LOCK (input is upper-cased first). Decoding is otherwise strict: no
Crockford aliasing, and the unused trailing bits must be zero (canonical), so one value
has exactly one text.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache

BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_BASE32_RE = re.compile(r"[A-Z2-7]*")
_BASE64URL_RE = re.compile(r"[A-Za-z0-9_-]*")


# a byte holding one base32 digit's value (0-31) -> the digit
_FROM_VALUES = bytes.maketrans(bytes(range(32)), BASE32_ALPHABET.encode("ascii"))


def b32encode(data: bytes) -> str:
    """Base32 without padding.

    Not `base64.b32encode`, which is pure Python and took ~4.4 µs for a signature: every
    item code encodes its serial and its signature, so a million-code run spent more
    time there than anywhere but signing. Here the 5-bit digits are spread one per byte
    with a few whole-integer mask-and-shift steps (`_spread_plan`), and bytes.translate
    turns the bytes into digits: ~1 µs.
    """
    pad, digits, steps = _spread_plan(len(data))
    value = int.from_bytes(data, "big") << pad
    for mask, shift in steps:
        moved = value & mask
        value = (value ^ moved) | (moved << shift)
    return value.to_bytes(digits, "big").translate(_FROM_VALUES).decode("ascii")


@lru_cache(maxsize=32)
def _spread_plan(size: int) -> tuple[int, int, tuple[tuple[int, int], ...]]:
    """Pad bits, digit count and the (mask, shift) steps that move digit j to bit 8j.

    Digit j (counted from the low end) starts at bit 5j and must move 3j bits. Writing j
    in binary, step k moves every digit whose bit k is set by 3·2^k, from the highest
    bit down. No step moves a digit onto bits another digit holds: the specs compare
    every length up to 80 bytes with the standard library. Building a plan costs time
    in the square of the length, so it is meant for codes' parts (3 to 64 bytes), and
    each length's plan is kept.
    """
    digits = -(-size * 8 // 5)
    at = [5 * j for j in range(digits)]
    steps: list[tuple[int, int]] = []
    for k in reversed(range(max(digits - 1, 0).bit_length())):
        mask = 0
        for j in range(digits):
            if j >> k & 1:
                mask |= 31 << at[j]
                at[j] += 3 << k
        steps.append((mask, 3 << k))
    return digits * 5 - size * 8, digits, tuple(steps)


# base32 digits as Python's int() reads them in base 32 (0-9a-v)
_TO_INT_DIGITS = str.maketrans(BASE32_ALPHABET, "0123456789abcdefghijklmnopqrstuv")


def b32decode(text: str) -> bytes:
    """Decode unpadded base32; raise ValueError unless ``text`` is its canonical form.

    Through int() rather than `base64.b32decode`, which is pure Python: every public
    lookup decodes a code, and this is several times faster.
    """
    if not _BASE32_RE.fullmatch(text) or len(text) % 8 in (1, 3, 6):
        raise ValueError("not canonical base32")
    if not text:
        return b""
    size, spare = divmod(len(text) * 5, 8)
    value = int(text.translate(_TO_INT_DIGITS), 32)
    if value & ((1 << spare) - 1):
        raise ValueError("non-zero trailing bits in base32")
    return (value >> spare).to_bytes(size, "big")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; raise ValueError unless ``text`` is its canonical form."""
    if not _BASE64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not canonical base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:  # pragma: no cover - the regex already excludes this
        raise ValueError(str(exc)) from exc
    if b64url_encode(data) != text:
        raise ValueError("non-zero trailing bits in base64url")
    return data


def is_base32(text: str, length: int) -> bool:
    """True if ``text`` is exactly ``length`` upper-case base32 characters."""
    return len(text) == length and _BASE32_RE.fullmatch(text) is not None
