"""The agent's HTTP client for the service's kiosk API (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class ServerUnavailable(Exception):
    """No answer, a timeout or a 5xx: try again later, print nothing new meanwhile."""


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
                raise ServerUnavailable(f"{error.code}: {detail}") from None
            raise ServerError(f"{error.code}: {detail}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            raise ServerUnavailable(str(error)) from None

    def enrol(self, code: str) -> dict[str, Any]:
        _, body = self._call("/api/v1/kiosk/enrol", {"code": code})
        return dict(body)

    def heartbeat(self, agent_version: str, printer_state: str, reasons: list[str]) -> None:
        self._call(
            "/api/v1/kiosk/heartbeat",
            {
                "agent_version": agent_version,
                "printer": {"state": printer_state, "reasons": reasons},
            },
        )

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
