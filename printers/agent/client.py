"""The agent's HTTP client for the service's kiosk API (standard library only)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any


class ServerUnavailable(Exception):
    """No answer, a timeout, a 5xx or a 429: try again later, print nothing new meanwhile.

    `retry_after` is the server's own word on when (seconds, from `Retry-After`): the
    service says `busy` with 1 s when a write lost a race, and the rate limiter says how
    long it will keep refusing. Retrying sooner only earns another refusal.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(headers: Message | None, now: float | None = None) -> float | None:
    """`Retry-After` in seconds from now (RFC 9110: delay-seconds or an HTTP-date).

    None when absent or unreadable: the caller keeps its own backoff then.
    """
    value = (headers.get("Retry-After") if headers is not None else None) or ""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": an HTTP-date is GMT whatever it says
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class ServerRefused(Exception):
    """401/403: the device credential is invalid or revoked; a person must re-enrol."""


class ServerError(Exception):
    """Another 4xx: the request itself was wrong."""


class KioskClient:
    def __init__(self, server: str, credential: str | None = None, timeout: float = 10.0) -> None:
        self.server = server.rstrip("/")
        self.credential = credential
        self.timeout = timeout

    def _call(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body or {}).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.credential:
            headers["Authorization"] = f"Bearer {self.credential}"
        request = urllib.request.Request(
            self.server + path, data=data, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:500]
            if error.code in (401, 403):
                raise ServerRefused(f"{error.code}: {detail}") from None
            if error.code >= 500 or error.code == 429:
                raise ServerUnavailable(
                    f"{error.code}: {detail}", retry_after_seconds(error.headers)
                ) from None
            raise ServerError(f"{error.code}: {detail}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise ServerUnavailable(str(error)) from None

    def enrol(self, code: str) -> dict[str, Any]:
        _, body = self._call("/api/v1/kiosk/enrol", {"code": code})
        return dict(body)

    def heartbeat(
        self, agent_version: str, printer_state: str, reasons: list[str]
    ) -> dict[str, Any] | None:
        """The server's answer names the kiosk's printer language and layouts as recorded."""
        _, body = self._call(
            "/api/v1/kiosk/heartbeat",
            {
                "agent_version": agent_version,
                "printer": {"state": printer_state, "reasons": reasons},
            },
        )
        return dict(body) if isinstance(body, dict) else None

    def claim(self) -> dict[str, Any] | None:
        status, body = self._call("/api/v1/kiosk/jobs/claim")
        return dict(body) if status == 200 and body else None

    def wait(self, job_id: str, claim_token: str, reasons: list[str]) -> None:
        self._call(
            f"/api/v1/kiosk/jobs/{job_id}/wait", {"claim_token": claim_token, "reasons": reasons}
        )

    def ack(self, job_id: str, claim_token: str, outcome: str, error: str | None = None) -> None:
        self._call(
            f"/api/v1/kiosk/jobs/{job_id}/ack",
            {"claim_token": claim_token, "outcome": outcome, "error": error or ""},
        )
