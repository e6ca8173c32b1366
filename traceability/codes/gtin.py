"""GTIN checks for the GS1 Digital Link form: digits, length, mod-10 check digit."""

from __future__ import annotations

from traceability.codes.errors import GtinError

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit of ``payload`` (the GTIN without its last digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


def normalize_gtin(gtin: str) -> str:
    """GTIN-8/12/13/14 → GTIN-14 (left-padded with zeros), after checking its check digit."""
    value = gtin.strip()
    if not (value.isascii() and value.isdigit()) or len(value) not in GTIN_LENGTHS:
        raise GtinError("invalid_gtin", "a GTIN is 8, 12, 13 or 14 digits")
    if gtin_check_digit(value[:-1]) != int(value[-1]):
        raise GtinError("invalid_gtin", "wrong check digit")
    return value.zfill(14)
