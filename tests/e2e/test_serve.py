"""gunicorn really serves the app: health at head and the demo county on the home page."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from tests.e2e.server import gunicorn_server, traceability_cli


def test_gunicorn_serves_home_and_health_with_demo_data(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        traceability_cli(server.env, "demo")
        with urllib.request.urlopen(server.base_url + "/healthz") as response:
            health = json.loads(response.read())
        with urllib.request.urlopen(server.base_url + "/") as response:
            page = response.read().decode("utf-8")
    assert health["at_head"] is True and health["database"] == "ok"
    assert "清河镇" in page and "李家庄生态家庭农场" in page
