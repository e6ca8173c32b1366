"""The Transport interface and TransportError: moving bytes, nothing about their meaning.

Every transport counts `bytes_sent`, because after an error the job must know
whether anything reached the printer: nothing sent is a safe retry, something sent
is "uncertain" and needs an operator (printers.md §6.4).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import Literal, Self

from printers.errors import PrinterError

ErrorKind = Literal[
    "refused",
    "timeout",
    "not_found",
    "permission",
    "closed",
    "unsupported",
    "rejected",
    "service_down",
    "io",
]

_KIND_TEXT: dict[ErrorKind, tuple[str, str]] = {
    "refused": ("打印机拒绝连接（端口未开放或打印机未开机）", "connection refused"),
    "timeout": ("打印机无应答，超时", "timed out"),
    "not_found": ("找不到打印机", "printer not found"),
    "permission": ("没有权限访问打印机", "permission denied"),
    "closed": ("打印机断开了连接", "connection closed by the printer"),
    "unsupported": ("不支持的打印机地址", "unsupported printer URL"),
    # a print service's queue, not the printer: the kiosk keeper fixes it in CUPS
    "rejected": (
        "打印队列已停止接收任务，请在打印服务中恢复该队列",
        "the print queue rejects jobs",
    ),
    "service_down": ("打印服务（CUPS）未运行，请启动打印服务", "the print service is not running"),
    "io": ("与打印机通信出错", "I/O error"),
}


class TransportError(PrinterError):
    """Sending to or reading from a printer failed; names the printer URL and what went wrong."""

    code = "transport_error"

    def __init__(self, url: str, kind: ErrorKind, detail: str = "") -> None:
        self.url = url
        self.kind = kind
        self.detail = detail
        zh, en = _KIND_TEXT[kind]
        suffix = f": {detail}" if detail else ""
        super().__init__(f"{zh}（{url}）", f"{en} for printer {url}{suffix}")


def url_number(url: str, query: dict[str, list[str]], name: str, default: float) -> float:
    """A positive number from a printer URL's query (`?timeout=5`), or `default` when absent.

    A typo in a kiosk's printer URL must read as "unsupported printer URL" naming the
    parameter, not crash the agent with a bare ValueError.
    """
    values = query.get(name)
    if not values:
        return default
    try:
        value = float(values[0])
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise TransportError(url, "unsupported", f"{name}={values[0]!r} is not a positive number")
    return value


class Transport(ABC):
    """A connection to one printer. Use as a context manager; `open_transport()` opens it."""

    can_read: bool = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.bytes_sent = 0

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Send all of `data` or raise TransportError (bytes_sent says how far it got)."""

    def flush(self) -> None:  # noqa: B027 - optional hook, most transports send on write
        """Make sure written bytes are on their way (CUPS submits the job here)."""

    def read(self, timeout: float) -> bytes:
        """Whatever arrives within `timeout` seconds (b"" if nothing does)."""
        raise TransportError(self.url, "unsupported", "this transport cannot read")

    def read_until(self, complete: Callable[[bytes], bool], timeout: float) -> bytes:
        """Read until `complete(reply)` or the deadline; returns what arrived (maybe partial)."""
        deadline = time.monotonic() + timeout
        reply = b""
        while not complete(reply):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            reply += self.read(left)
        return reply

    def drain(self) -> None:
        """Discard stale bytes (a late answer to an earlier query) before asking again."""
        if self.can_read:
            while self.read(0.01):
                pass

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
