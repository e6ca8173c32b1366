"""A CUPS raw queue (`cups://QueueName[?timeout=30]`), submitted with `lp -d QueueName -o raw`.

CUPS marks a raw job completed once the bytes reach the printer's socket, so this
transport can only ever report "sent"; copies stay in the driver's bytes, never `-n`.
A job is handed to lp once: after a failure, closing does not submit it again. lp runs
in the C locale, since its messages (translated by LANG) are how failures are told apart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import parse_qs, unquote, urlsplit

from printers.transports.base import ErrorKind, Transport, TransportError, url_number

DEFAULT_TIMEOUT = 30.0


class CupsTransport(Transport):
    """Buffers the job and hands it to `lp` on close (one CUPS job per transport use)."""

    can_read = False

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parts = urlsplit(url)
        self.queue = unquote(parts.netloc + parts.path).strip("/")
        if not self.queue:
            raise TransportError(url, "unsupported", "no queue name in URL")
        # how long lp (and lpstat) may take: a remote or busy scheduler can be slow to answer
        self.timeout = url_number(url, parse_qs(parts.query), "timeout", DEFAULT_TIMEOUT)
        self._buffer = bytearray()

    def open(self) -> None:
        if shutil.which("lp") is None:
            raise TransportError(self.url, "not_found", "the lp command is missing (cups-client)")

    def write(self, data: bytes) -> None:
        self._buffer += data

    def flush(self) -> None:
        """Submit what was written as one raw job (once: a failed submission is not retried)."""
        if not self._buffer:
            return
        job = bytes(self._buffer)
        self._buffer.clear()
        try:
            done = subprocess.run(
                ["lp", "-d", self.queue, "-o", "raw"],
                input=job,
                capture_output=True,
                timeout=self.timeout,
                check=False,
                env=_c_locale(),
            )
        except subprocess.TimeoutExpired as exc:
            # lp had the job and may have queued it before stalling: count it as sent,
            # so print_label says "uncertain" rather than inviting a retry.
            self.bytes_sent += len(job)
            raise TransportError(
                self.url, "timeout", f"lp did not finish in {self.timeout:g} s"
            ) from exc
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
                else "rejected"
                if "not accepting jobs" in lowered
                else "io"
            )
            if kind == "not_found" and self._scheduler_down():
                # lp says "does not exist" for every queue when it cannot reach cupsd.
                kind = "service_down"
                message = f"the CUPS scheduler is not running (lpstat -r); {message}"
            raise TransportError(self.url, kind, message)
        self.bytes_sent += len(job)

    def _scheduler_down(self) -> bool:
        try:
            done = subprocess.run(
                ["lpstat", "-r"],
                capture_output=True,
                timeout=self.timeout,
                check=False,
                env=_c_locale(),
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return b"not running" in done.stdout

    def close(self) -> None:
        self.flush()


def _c_locale() -> dict[str, str]:
    return {**os.environ, "LC_ALL": "C"}
