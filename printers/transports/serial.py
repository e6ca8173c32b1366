"""Serial printers (`serial:///dev/ttyUSB0?baud=9600`), via pyserial.

Any pyserial URL works after the scheme too (`serial://loop://` in tests,
`serial://rfc2217://host:port` for a serial server).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import serial

from printers.transports.base import ErrorKind, Transport, TransportError, url_number


class SerialTransport(Transport):
    """`serial:///dev/ttyUSB0?baud=9600&timeout=5`."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        rest = url[len("serial://") :]
        target, _, query_text = rest.partition("?")
        query = parse_qs(query_text) if "://" not in target else parse_qs(urlsplit(rest).query)
        self.port = target
        self.baud = int(url_number(url, query, "baud", 9600))
        self.timeout = url_number(url, query, "timeout", 5.0)
        self._port: serial.SerialBase | None = None

    def open(self) -> None:
        try:
            self._port = serial.serial_for_url(
                self.port, baudrate=self.baud, timeout=self.timeout, write_timeout=self.timeout
            )
        except serial.SerialException as exc:
            text = str(exc)
            kind: ErrorKind = (
                "permission"
                if "ermission" in text
                else "not_found"
                if "No such file" in text or "could not open" in text
                else "io"
            )
            raise TransportError(self.url, kind, text) from exc

    def _serial(self) -> serial.SerialBase:
        if self._port is None:
            self.open()
        assert self._port is not None
        return self._port

    def write(self, data: bytes) -> None:
        port = self._serial()
        try:
            port.write(data)
            port.flush()
        except serial.SerialTimeoutException as exc:
            raise TransportError(self.url, "timeout", str(exc)) from exc
        except serial.SerialException as exc:
            raise TransportError(self.url, "io", str(exc)) from exc
        self.bytes_sent += len(data)

    def read(self, timeout: float) -> bytes:
        port = self._serial()
        port.timeout = max(timeout, 0.001)
        try:
            first = port.read(1)
            return first + (port.read(port.in_waiting) if first and port.in_waiting else b"")
        except serial.SerialException as exc:
            raise TransportError(self.url, "io", str(exc)) from exc

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None
