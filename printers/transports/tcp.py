"""Raw TCP (port 9100, "JetDirect"): the usual way to reach a networked label printer.

A printer that accepts the connection and then never reads will still swallow a
few hundred KB (socket buffers), so a completed write proves little; a status round
trip is what tells a live printer from a dead one.
"""

from __future__ import annotations

import contextlib
import socket
from urllib.parse import parse_qs, urlsplit

from printers.transports.base import Transport, TransportError, url_number

DEFAULT_PORT = 9100
DEFAULT_TIMEOUT = 5.0


class TcpTransport(Transport):
    """`tcp://host[:port][?timeout=seconds]`: connect and send timeouts both `timeout`."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parts = urlsplit(url)
        if not parts.hostname:
            raise TransportError(url, "unsupported", "no host in URL")
        self.host = parts.hostname
        self.port = parts.port or DEFAULT_PORT
        query = parse_qs(parts.query)
        self.timeout = url_number(url, query, "timeout", DEFAULT_TIMEOUT)
        self._sock: socket.socket | None = None

    def open(self) -> None:
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except ConnectionRefusedError as exc:
            raise TransportError(self.url, "refused", str(exc)) from exc
        except TimeoutError as exc:
            raise TransportError(self.url, "timeout", f"connect > {self.timeout} s") from exc
        except socket.gaierror as exc:
            raise TransportError(self.url, "not_found", str(exc)) from exc
        except OSError as exc:
            raise TransportError(self.url, "io", str(exc)) from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _socket(self) -> socket.socket:
        if self._sock is None:
            self.open()
        assert self._sock is not None
        return self._sock

    def write(self, data: bytes) -> None:
        sock = self._socket()
        sock.settimeout(self.timeout)
        view = memoryview(data)
        try:
            while view:
                sent = sock.send(view)
                self.bytes_sent += sent
                view = view[sent:]
        except TimeoutError as exc:
            detail = f"send stalled after {self.bytes_sent} bytes (> {self.timeout} s)"
            raise TransportError(self.url, "timeout", detail) from exc
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise TransportError(self.url, "closed", str(exc)) from exc
        except OSError as exc:
            raise TransportError(self.url, "io", str(exc)) from exc

    def read(self, timeout: float) -> bytes:
        sock = self._socket()
        sock.settimeout(max(timeout, 0.001))
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise TransportError(self.url, "closed", str(exc)) from exc
        if not data:
            raise TransportError(self.url, "closed", "the printer closed the connection")
        return data

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)
            self._sock.close()
            self._sock = None
