"""Print to a file or a character device (`file:///dev/usb/lp0`, `file:///tmp/job.prn`)."""

from __future__ import annotations

from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

from printers.transports.base import Transport, TransportError


class FileTransport(Transport):
    """`file:///path[?append=1]`: write-only; the usblp driver gives no status back here."""

    can_read = False

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parts = urlsplit(url)
        self.path = unquote(parts.path)
        if not self.path:
            raise TransportError(url, "unsupported", "no path in URL")
        self.append = parse_qs(parts.query).get("append", ["0"])[0] in ("1", "true", "yes")
        self._file: BinaryIO | None = None

    def open(self) -> None:
        try:
            self._file = open(self.path, "ab" if self.append else "wb")  # noqa: SIM115
        except FileNotFoundError as exc:
            raise TransportError(self.url, "not_found", str(exc)) from exc
        except PermissionError as exc:
            raise TransportError(self.url, "permission", str(exc)) from exc
        except OSError as exc:
            raise TransportError(self.url, "io", str(exc)) from exc

    def write(self, data: bytes) -> None:
        if self._file is None:
            self.open()
        assert self._file is not None
        try:
            self._file.write(data)
            self._file.flush()
        except OSError as exc:
            raise TransportError(self.url, "io", str(exc)) from exc
        self.bytes_sent += len(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
