"""FakePrinter: a raw-TCP label printer on 127.0.0.1 for tests (ours and the kiosk agent's).

    with FakePrinter("tspl") as printer:          # listening on 127.0.0.1:<free port>
        print_label(label, printer.url, get_driver("tspl"))
        assert printer.jobs == 1
        printer.set_state("paper_out")           # next status answers say media-empty

It records every byte received (`received`, status queries included), answers the
language's status query (TSPL `<ESC>!?`, ZPL `~HS`, ESC/POS `DLE EOT 1/2/4`) from a
scripted state, and reports "printing" once after each job so a job's completion
can be observed. Behaviours: "normal"; "silent" (accepts connections, never reads
or answers: a hung printer); "mute" (reads everything, never answers status);
"refuse" (nothing listens on the port: connection refused).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Literal, Self

FakeState = Literal["ready", "paper_out", "head_open", "paused", "ribbon_out"]
Behaviour = Literal["normal", "silent", "mute", "refuse"]

_QUERIES = {
    "tspl": (b"\x1b!?",),
    "zpl": (b"~HS",),
    "escpos": (b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"),
    "cpcl": (),
}
_JOB_ENDS = {
    "tspl": b"\r\nPRINT ",
    "zpl": b"^XZ",
    "escpos": b"\x1dV",
    "cpcl": b"\r\nPRINT\r\n",
}
_TSPL_BITS = {"ready": 0, "paper_out": 0x04, "head_open": 0x01, "paused": 0x10, "ribbon_out": 0x08}


def status_reply(language: str, query: bytes, state: FakeState, printing: bool) -> bytes:
    """The bytes a real printer of `language` answers to `query` in `state`."""
    if language == "tspl":
        return bytes([_TSPL_BITS[state] | (0x20 if printing and state == "ready" else 0)])
    if language == "zpl":
        paper = int(state == "paper_out")
        pause = int(state == "paused")
        head = int(state == "head_open")
        ribbon = int(state == "ribbon_out")
        queued = int(printing)
        return (
            f"\x02030,{paper},{pause},1245,{queued:03d},0,0,0,000,0,0,0\x03\r\n"
            f"\x02001,0,{head},{ribbon},0,2,6,0,{queued:08d},1,000\x03\r\n"
            "\x021234,0\x03\r\n"
        ).encode("ascii")
    if language == "escpos":
        fault = state in ("paper_out", "head_open")
        n = query[-1]
        if n == 1:
            return bytes([0x12 | (0x08 if fault else 0)])
        if n == 2:
            return bytes(
                [
                    0x12
                    | (0x04 if state == "head_open" else 0)
                    | (0x20 if state == "paper_out" else 0)
                ]
            )
        return bytes([0x12 | (0x60 if state == "paper_out" else 0)])
    return b""


class FakePrinter:
    """A threaded fake network printer; see the module docstring for the API."""

    def __init__(
        self,
        language: str = "tspl",
        state: FakeState = "ready",
        behaviour: Behaviour = "normal",
        timeout: float = 1.0,
    ) -> None:
        self.language = language
        self.state: FakeState = state
        self.behaviour = behaviour
        self.timeout = timeout
        self.status_queries = 0
        self.connections = 0
        self._received = bytearray()
        self._scanned = 0
        self._jobs_answered = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._server: socket.socket | None = None
        self.port = 0

    # Lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.behaviour == "silent":
            # Small buffers so a never-reading printer stalls the sender quickly.
            server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        server.bind(("127.0.0.1", 0))
        self.port = server.getsockname()[1]
        if self.behaviour == "refuse":
            server.close()  # the port is now closed: connecting is refused
            return self
        server.listen(8)
        server.settimeout(0.05)
        self._server = server
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for conn in self._conns:
            conn.close()
        if self._server is not None:
            self._server.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """`tcp://127.0.0.1:<port>?timeout=<timeout>` for print_label / open_transport."""
        return f"tcp://127.0.0.1:{self.port}?timeout={self.timeout}"

    # What the test looks at ------------------------------------------------------------

    @property
    def received(self) -> bytes:
        with self._cond:
            return bytes(self._received)

    @property
    def jobs(self) -> int:
        """Jobs received so far (counted by the language's end-of-job command)."""
        with self._cond:
            return self._count_jobs()

    def set_state(self, state: FakeState) -> None:
        with self._cond:
            self.state = state

    def wait_for(self, predicate: Callable[[FakePrinter], bool], timeout: float = 5.0) -> bool:
        """Block until `predicate(self)` holds (re-checked on every received chunk)."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def wait_for_bytes(self, count: int, timeout: float = 5.0) -> bytes:
        """Block until at least `count` bytes arrived; returns everything received."""
        self.wait_for(lambda p: len(p._received) >= count, timeout)
        return self.received

    # Internals -------------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._cond:
                self.connections += 1
                self._conns.append(conn)
                self._cond.notify_all()
            if self.behaviour != "silent":
                self._spawn(self._serve, conn)

    def _count_jobs(self) -> int:
        return bytes(self._received).count(_JOB_ENDS.get(self.language, b"\x00\xff"))

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            with self._cond:
                self._received += chunk
                replies = self._answer_queries()
                self._cond.notify_all()
            if replies and self.behaviour == "normal":
                try:
                    conn.sendall(replies)
                except OSError:
                    return

    def _answer_queries(self) -> bytes:
        """Find status queries in the new bytes (called with the lock held)."""
        queries = _QUERIES.get(self.language, ())
        longest = max((len(q) for q in queries), default=1)
        data = bytes(self._received)
        replies = bytearray()
        position = self._scanned
        hits: list[tuple[int, bytes]] = []
        for query in queries:
            start = position
            while (found := data.find(query, start)) != -1:
                hits.append((found, query))
                start = found + 1
        for _, query in sorted(hits):
            self.status_queries += 1
            jobs = self._count_jobs()
            printing = jobs > self._jobs_answered
            self._jobs_answered = jobs
            replies += status_reply(self.language, query, self.state, printing)
        self._scanned = max(position, len(data) - longest + 1)
        return bytes(replies)
