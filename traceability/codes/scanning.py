"""Parse what a handheld scanner or a phone types: a code URL, a GS1 Digital Link, or a bare code.

Scanners add CR/LF, flip CAPS LOCK and sometimes read garbage; everything that is not one
of our forms becomes a :class:`ScanError` with a stable code, never an unhandled exception.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from traceability.codes.alphabet import b64url_decode
from traceability.codes.errors import ScanError
from traceability.codes.format import ItemCode, parse_code, parse_parts
from traceability.codes.gtin import normalize_gtin
from traceability.codes.signing import KID_LENGTH
from traceability.codes.urls import DIGSIG_AI

MAX_SCAN_LENGTH = 512
_DIGSIG_LENGTH = KID_LENGTH + 86
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")

Form = Literal["code", "url", "gs1"]


@dataclass(frozen=True)
class ParsedCode:
    """A syntactically valid code and where it came from (not yet verified)."""

    code: ItemCode
    form: Form
    host: str | None = None
    """Lower-case ``host[:port]`` of a URL form."""
    gtin: str | None = None
    """GTIN-14 of the GS1 form: not covered by the signature."""


def parse_scanned_text(text: str, *, accepted_hosts: Collection[str] | None = None) -> ParsedCode:
    """Parse scanned text; raise ScanError (``too_long``, ``malformed``, ``wrong_host``,
    ``non_canonical``, ``invalid_gtin``) for anything else.

    ``accepted_hosts`` holds ``host`` or ``host:port`` entries, any case; ``None`` accepts any.
    """
    if not isinstance(text, str):
        raise ScanError("malformed", "scanned text must be a string")
    if len(text) > MAX_SCAN_LENGTH:
        raise ScanError("too_long", f"more than {MAX_SCAN_LENGTH} characters")
    stripped = text.strip()
    if not _PRINTABLE_ASCII.fullmatch(stripped):
        raise ScanError("malformed", "only printable ASCII without inner spaces is a code")
    if "/" not in stripped:
        return ParsedCode(parse_code(stripped), "code")
    return _parse_url(stripped, accepted_hosts)


def _host_of(url: str) -> tuple[str, str, str]:
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 host
        raise ScanError("malformed", "unparsable URL") from exc
    if parts.scheme.lower() not in ("http", "https") or parts.fragment:
        raise ScanError("malformed", "not an http(s) URL")
    if "@" in parts.netloc or not parts.hostname:
        raise ScanError("malformed", "URL without a plain host")
    try:
        port = parts.port
    except ValueError as exc:
        raise ScanError("malformed", "bad port") from exc
    host = parts.hostname + (f":{port}" if port is not None else "")
    return host, parts.path, parts.query


def _check_host(host: str, accepted_hosts: Collection[str] | None) -> None:
    if accepted_hosts is None:
        return
    accepted = {h.lower() for h in accepted_hosts}
    if host not in accepted:
        raise ScanError("wrong_host", host)


def _parse_url(url: str, accepted_hosts: Collection[str] | None) -> ParsedCode:
    host, path, query = _host_of(url)
    _check_host(host, accepted_hosts)
    segments = path.split("/")
    if len(segments) >= 3 and segments[-2] in ("C", "c") and not query:
        return ParsedCode(parse_code(segments[-1]), "url", host)
    if len(segments) >= 7 and (segments[-6], segments[-4], segments[-2]) == ("01", "10", "21"):
        gtin = normalize_gtin(segments[-5])
        code = _parse_digsig(segments[-3], segments[-1], query)
        return ParsedCode(code, "gs1", host, gtin)
    raise ScanError("malformed", "URL is neither .../C/{code} nor .../01/…/10/…/21/…?8030=…")


def _parse_digsig(group: str, item: str, query: str) -> ItemCode:
    values = [v for k, v in parse_qsl(query, keep_blank_values=True) if k == DIGSIG_AI]
    if len(values) != 1 or len(values[0]) != _DIGSIG_LENGTH:
        raise ScanError("malformed", f"need exactly one {DIGSIG_AI} of {_DIGSIG_LENGTH} chars")
    kid, sig_text = values[0][:KID_LENGTH], values[0][KID_LENGTH:]
    letters = [c for c in group + item if c.isalpha()]
    if letters and all(c.islower() for c in letters):
        # We print G and I upper-case: all lower-case means the scanner inverted case
        # (CAPS LOCK), which also inverted the case-sensitive base64url signature.
        sig_text = sig_text.swapcase()
    try:
        signature = b64url_decode(sig_text)
    except ValueError as exc:
        code = "non_canonical" if re.fullmatch(r"[A-Za-z0-9_-]{86}", sig_text) else "malformed"
        raise ScanError(code, "signature is not canonical base64url") from exc
    return parse_parts(group, item, kid, signature)
