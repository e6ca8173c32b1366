"""Transports chosen by URL scheme: `open_transport("tcp://10.0.0.5:9100?timeout=5")`.

Schemes: tcp, file, serial, cups, mem. Add one with `register_transport(scheme, factory)`.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from printers.transports.base import ErrorKind, Transport, TransportError
from printers.transports.cups import CupsTransport
from printers.transports.file import FileTransport
from printers.transports.memory import MemoryTransport
from printers.transports.serial import SerialTransport
from printers.transports.tcp import TcpTransport

TransportFactory = Callable[[str], Transport]

TRANSPORTS: dict[str, TransportFactory] = {
    "tcp": TcpTransport,
    "file": FileTransport,
    "serial": SerialTransport,
    "cups": CupsTransport,
    "mem": MemoryTransport.for_url,
}


def register_transport(scheme: str, factory: TransportFactory) -> None:
    """Make `scheme://…` URLs open with `factory` (e.g. a usb:// backend on a kiosk)."""
    TRANSPORTS[scheme] = factory


def make_transport(url: str) -> Transport:
    """The transport for `url`, not yet opened."""
    scheme = urlsplit(url).scheme
    factory = TRANSPORTS.get(scheme)
    if factory is None:
        raise TransportError(url, "unsupported", f"scheme {scheme!r}; use {', '.join(TRANSPORTS)}")
    return factory(url)


def open_transport(url: str) -> Transport:
    """The transport for `url`, opened (connected) — use it in a `with` block."""
    transport = make_transport(url)
    transport.open()
    return transport


__all__ = [
    "TRANSPORTS",
    "ErrorKind",
    "Transport",
    "TransportError",
    "make_transport",
    "open_transport",
    "register_transport",
]
