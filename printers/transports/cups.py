"""A CUPS raw queue (`cups://QueueName`), submitted with `lp -d QueueName -o raw`.

CUPS marks a raw job completed once the bytes reach the printer's socket, so this
transport can only ever report "sent"; copies stay in the driver's bytes, never `-n`.
"""

from __future__ import annotations

import shutil
import subprocess
from urllib.parse import unquote, urlsplit

from printers.transports.base import ErrorKind, Transport, TransportError


class CupsTransport(Transport):
    """Buffers the job and hands it to `lp` on close (one CUPS job per transport use)."""

    can_read = False

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        super().__init__(url)
        parts = urlsplit(url)
        self.queue = unquote(parts.netloc + parts.path).strip("/")
        if not self.queue:
            raise TransportError(url, "unsupported", "no queue name in URL")
        self.timeout = timeout
        self._buffer = bytearray()

    def open(self) -> None:
        if shutil.which("lp") is None:
            raise TransportError(self.url, "not_found", "the lp command is missing (cups-client)")

    def write(self, data: bytes) -> None:
        self._buffer += data

    def flush(self) -> None:
        """Submit what was written as one raw job."""
        if not self._buffer:
            return
        try:
            done = subprocess.run(
                ["lp", "-d", self.queue, "-o", "raw"],
                input=bytes(self._buffer),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise TransportError(self.url, "timeout", "lp did not finish") from exc
        except OSError as exc:
            raise TransportError(self.url, "not_found", str(exc)) from exc
        message = done.stderr.decode("utf-8", "replace").strip()
        if done.returncode != 0:
            lowered = message.lower()
            kind: ErrorKind = (
                "not_found"
                if "does not exist" in lowered or "unknown" in lowered
                else "permission"
                if "forbidden" in lowered or "permission" in lowered
                else "io"
            )
            raise TransportError(self.url, kind, message)
        self.bytes_sent += len(self._buffer)
        self._buffer.clear()

    def close(self) -> None:
        self.flush()
