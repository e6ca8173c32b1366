"""`mem://name`: an in-process printer for tests, recording writes and scripting replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar
from urllib.parse import urlsplit

from printers.transports.base import Transport


class MemoryTransport(Transport):
    """Keeps everything written in `written`; `responder(data)` may return bytes to read back.

    Instances are kept by name in `MemoryTransport.named` so a test can open
    "mem://kiosk1" through the registry and then inspect what was sent.
    """

    named: ClassVar[dict[str, MemoryTransport]] = {}

    def __init__(self, url: str = "mem://", responder: Callable[[bytes], bytes] | None = None):
        super().__init__(url)
        self.written = bytearray()
        self.responder = responder
        self._inbox = bytearray()
        self.closed = False

    @classmethod
    def for_url(cls, url: str) -> MemoryTransport:
        name = urlsplit(url).netloc
        if not name:
            return cls(url)
        if name not in cls.named:
            cls.named[name] = cls(url)
        return cls.named[name]

    def open(self) -> None:
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data
        self.bytes_sent += len(data)
        if self.responder is not None:
            self._inbox += self.responder(data)

    def read(self, timeout: float) -> bytes:
        data = bytes(self._inbox)
        self._inbox.clear()
        return data

    def close(self) -> None:
        self.closed = True
