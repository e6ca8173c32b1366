"""A tiny HTTP server on 127.0.0.1 so the kiosk page can read the scale and printer state."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from printers.agent.runner import Agent
from printers.agent.scale import ScaleReader


def serve_local(agent: Agent, scale: ScaleReader | None, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.startswith("/scale"):
                weight = scale.latest if scale else None
                self._send(weight.to_dict() if weight else {"weight": None, "stable": False})
            elif self.path.startswith("/status"):
                state = agent.state
                self._send(
                    {
                        "printer": {"state": state.printer_state, "reasons": state.printer_reasons},
                        "server_ok": state.server_ok,
                        "last_error": state.last_error,
                        "printed_jobs": state.printed_jobs,
                    }
                )
            else:
                self.send_error(404)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
