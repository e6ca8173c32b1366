"""The demo county's code paths by kind, as a shopper's phone would ask for them."""

from __future__ import annotations

from typing import Any


def code_paths(demo: dict[str, Any]) -> dict[str, str]:
    """genuine, revoked, malformed, and altered (the signature no longer fits)."""

    def path(status: str) -> str:
        url = next(c["url"] for c in demo["codes"] if c["status"] == status)
        return "/C/" + url.split("/C/", 1)[1]

    genuine = path("valid")
    serial, rest = genuine[3:].split(".", 1)
    other = "A" if serial[-1] != "A" else "B"
    return {
        "genuine": genuine,
        "revoked": path("revoked"),
        "malformed": "/C/NOT-A-CODE",
        "altered": "/C/" + serial[:-1] + other + "." + rest,
    }
