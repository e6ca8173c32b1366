"""gunicorn really serves the app: health at head and the demo county on the home page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.e2e.server import ROOT, free_port, gunicorn_server, traceability_cli


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


def test_concurrent_lookups_never_fail_and_every_scan_is_counted(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Many phones scanning at once: on SQLite too, no 'database is locked' 500s."""
    from concurrent.futures import ThreadPoolExecutor

    with gunicorn_server(
        empty_database_url, tmp_path / "instance", extra_env={"WEB_CONCURRENCY": "4"}
    ) as server:
        report = json.loads(traceability_cli(server.env, "demo", "--json").stdout)
        url = next(c["url"] for c in report["codes"] if c["status"] == "valid")
        path = server.base_url + "/C/" + url.split("/C/", 1)[1]

        def scan(_: int) -> int:
            request = urllib.request.Request(path, headers={"Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(scan, range(120)))
        # each worker writes its scans within SCAN_FLUSH_SECONDS (1 s): wait for that, then
        # one more scan sees all the others (this wait is for the writers, not a speed check)
        time.sleep(2.5)
        request = urllib.request.Request(path, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request) as response:
            final = json.loads(response.read())
        serial = url.split("/C/", 1)[1].split(".")[0]
    # the server has stopped: its workers wrote their last scans on the way out
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                text(
                    "SELECT scan_count, (SELECT count(*) FROM scan_event"
                    " WHERE item_code_id = item_code.id) FROM item_code WHERE serial = :serial"
                ),
                {"serial": serial},
            ).one()
    finally:
        engine.dispose()
    assert statuses.count(200) == 120, sorted(set(statuses))
    assert final["scans"]["count"] == 121
    assert tuple(stored) == (121, 121)


def test_a_bad_setting_stops_gunicorn_with_its_message_and_no_traceback(tmp_path: Path) -> None:
    """gunicorn.conf.py's master refuses it before forking a worker that would fail alike."""
    env = {
        **os.environ,
        "TRACEABILITY_HOME": str(tmp_path / "instance"),
        "RECORD_RETENTION_DAYS": "two years",
    }
    command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]
    done = subprocess.run(
        [*command, "--bind", f"127.0.0.1:{free_port()}", "wsgi:app"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4  # gunicorn's "App failed to load"
    assert "设置 RECORD_RETENTION_DAYS 的值“two years”无效" in done.stderr
    assert "Booting worker" not in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_a_bad_setting_before_starting_gunicorn(tmp_path: Path) -> None:
    env = {**os.environ, "TRACEABILITY_HOME": str(tmp_path / "instance"), "TRUSTED_PROXIES": "-1"}
    done = traceability_cli(env, "serve", "--bind", f"127.0.0.1:{free_port()}", check=False)
    assert done.returncode == 1
    assert "Setting TRUSTED_PROXIES is “-1”: it must be a whole number of at least 0" in done.stderr
    assert "serving on" not in done.stdout and "Traceback" not in done.stderr
