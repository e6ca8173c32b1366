"""The kiosk agent waits as long as the server's Retry-After says, not less.

A real HTTP server on a loopback port answers the agent's calls as scripted; the agent's
own client reads its refusals, and its loop decides how long to wait.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from printers.agent.client import KioskClient, ServerUnavailable, retry_after_seconds
from printers.agent.journal import Journal
from printers.agent.runner import MIN_RETRY_SECONDS, Agent, AgentSettings


class ScriptedServer:
    """Answers every POST to the claim path with the next scripted (status, headers)."""

    def __init__(self) -> None:
        self.claims: list[tuple[int, dict[str, str]]] = []
        self.paths: list[str] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                script.paths.append(self.path)
                status = 200
                headers: dict[str, str] = {}
                if self.path.endswith("/jobs/claim") and script.claims:
                    status, headers = script.claims.pop(0)
                body = b'{"error": "busy"}' if status >= 400 else b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    thread = threading.Thread(target=scripted.http.serve_forever, daemon=True)
    thread.start()
    yield scripted
    scripted.http.shutdown()
    scripted.http.server_close()


def refusal(server: ScriptedServer, status: int, headers: dict[str, str]) -> ServerUnavailable:
    server.claims.append((status, headers))
    with pytest.raises(ServerUnavailable) as caught:
        KioskClient(server.url, "credential").claim()
    return caught.value


def test_a_busy_answer_carries_its_retry_after_in_seconds(server: ScriptedServer) -> None:
    assert refusal(server, 503, {"Retry-After": "1"}).retry_after == 1.0


def test_a_retry_after_given_as_a_date_is_counted_from_now(server: ScriptedServer) -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)
    waited = refusal(server, 429, {"Retry-After": format_datetime(later, usegmt=True)})
    assert waited.retry_after is not None and 110 <= waited.retry_after <= 121


def test_without_a_readable_retry_after_the_agent_keeps_its_own_backoff(
    server: ScriptedServer,
) -> None:
    assert refusal(server, 502, {}).retry_after is None
    assert refusal(server, 503, {"Retry-After": "soon"}).retry_after is None


class RecordingStop(threading.Event):
    """A stop event that notes each wait the loop asks for and stops after `waits` of them."""

    def __init__(self, waits: int) -> None:
        super().__init__()
        self.waits: list[float] = []
        self.left = waits

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0))
        self.left -= 1
        if self.left <= 0:
            self.set()
        return self.is_set()


def waits_after(
    server: ScriptedServer, tmp_path: Path, claims: list[tuple[int, dict[str, str]]]
) -> list[float]:
    server.claims.extend(claims)
    settings = AgentSettings(
        printer_url="tcp://127.0.0.1:9",  # nothing listens: the printer reads as offline
        poll_interval=2.0,
        max_backoff=30.0,
        max_retry_after=600.0,
        status_timeout=0.2,
    )
    agent = Agent(KioskClient(server.url, "credential"), Journal(tmp_path / "journal.db"), settings)
    stop = RecordingStop(len(claims))
    agent.run(stop)
    return stop.waits


def test_the_loop_waits_what_the_server_asked_and_backs_off_when_it_did_not(
    server: ScriptedServer, tmp_path: Path
) -> None:
    waits = waits_after(
        server,
        tmp_path,
        [
            (502, {}),  # no word from the server: the agent's own backoff, 2 s then 4 s
            (502, {}),
            (503, {"Retry-After": "1"}),  # the service's "busy": 1 s, not the 8 s backoff
            (429, {"Retry-After": "90"}),  # a rate limit: obeyed beyond max_backoff
            (429, {"Retry-After": "86400"}),  # capped: a kiosk is not parked for a day
            (503, {"Retry-After": "0"}),  # never a busy loop
        ],
    )
    assert waits == [2.0, 4.0, 1.0, 90.0, 600.0, MIN_RETRY_SECONDS]
    assert sum(path.endswith("/jobs/claim") for path in server.paths) == 6


def test_after_a_good_answer_the_loop_polls_at_its_interval_again(
    server: ScriptedServer, tmp_path: Path
) -> None:
    waits = waits_after(server, tmp_path, [(502, {}), (502, {}), (200, {})])
    assert waits == [2.0, 4.0, 2.0]


def test_a_date_in_the_past_means_now_and_a_zoneless_date_is_gmt() -> None:
    past, zoneless = Message(), Message()
    past["Retry-After"] = "Wed, 21 Oct 2015 07:28:00 GMT"
    zoneless["Retry-After"] = "Wed, 21 Oct 2015 07:28:00 -0000"
    date = datetime(2015, 10, 21, 7, 28, tzinfo=UTC).timestamp()
    assert retry_after_seconds(past, now=date + 30) == 0.0
    assert retry_after_seconds(zoneless, now=date - 45) == 45.0
