"""QR texts: the short code URL ``{BASE}/C/{code}`` and the GS1 Digital Link form.

The short URL is upper-cased (scheme and host are case-insensitive) so the whole URL is in
the QR alphanumeric set: at ECC M it fits version 7 for a typical host and version 8 for a
base URL of up to 83 characters. A path in the base URL is case-sensitive, so it keeps
its case (that part then costs byte mode).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from traceability.codes.alphabet import b64url_encode
from traceability.codes.format import ItemCode, parse_code
from traceability.codes.gtin import normalize_gtin

CODE_PATH = "/C/"
DIGSIG_AI = "8030"


@lru_cache(maxsize=16)
def _split_base(base_url: str) -> tuple[str, str]:
    """(scheme://host[:port], path-without-trailing-slash) of a public base URL.

    Kept per base URL (a deployment has one or two): every code URL and label asks.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base URL must be http(s)://host[:port][/path], got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError("base URL must not have a query or fragment")
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def _code_of(code: ItemCode | str) -> ItemCode:
    return code if isinstance(code, ItemCode) else parse_code(code)


def code_url(base_url: str, code: ItemCode | str, *, upper: bool = True) -> str:
    """``{BASE}/C/{code}``; with ``upper``, scheme and host upper-cased for alphanumeric QR."""
    origin, path = _split_base(base_url)
    if upper:
        origin = origin.upper()
    return f"{origin}{path}{CODE_PATH}{_code_of(code).text}"


def digsig_value(code: ItemCode) -> str:
    """The AI 8030 value: the 4-char kid followed by the 86-char base64url signature (90)."""
    return code.kid + b64url_encode(code.signature)


def gs1_digital_link_url(
    base_url: str, gtin: str, code: ItemCode | str, *, upper: bool = True
) -> str:
    """``{base}/01/{GTIN-14}/10/{G}/21/{I}?8030={K}{b64url(sig)}``; same signature as the code.

    The GTIN is checked (check digit) and padded to 14 digits. It is *not* covered by the
    signature: verifiers must compare it with the certificate's product when online.
    """
    item = _code_of(code)
    origin, path = _split_base(base_url)
    if upper:
        origin = origin.upper()
    gtin14 = normalize_gtin(gtin)
    return (
        f"{origin}{path}/01/{gtin14}/10/{item.group}/21/{item.item}"
        f"?{DIGSIG_AI}={digsig_value(item)}"
    )
