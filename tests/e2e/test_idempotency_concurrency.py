"""Two identical requests racing with one Idempotency-Key make exactly one certificate.

Real concurrency needs real processes: gunicorn with two workers, requests fired
from threads at the same moment, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tests.e2e.server import gunicorn_server, post_json, traceability_cli
from traceability.db import make_engine


def test_concurrent_identical_requests_make_one_certificate(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        traceability_cli(server.env, "demo")
        token = json.loads(
            traceability_cli(
                server.env, "token", "create", "--name", "t", "--role", "county_admin", "--json"
            ).stdout
        )["token"]
        engine = make_engine(empty_database_url)
        with engine.connect() as connection:
            batch_id, producer_id = connection.execute(
                text(
                    "select b.id, b.producer_id from batch b join producer p on p.id = b.producer_id where p.kind = 'enterprise' order by b.id limit 1"
                )
            ).one()
            before = connection.execute(text("select count(*) from certificate")).scalar_one()
        body = {
            "producer_id": producer_id,
            "batch_id": batch_id,
            "items": 500,
            "basis": ["quality_control"],
            "signature_confirmed": True,
        }
        results: list[tuple[int, dict[str, Any]]] = []
        barrier = threading.Barrier(4)

        def fire() -> None:
            barrier.wait()
            results.append(
                post_json(
                    server.base_url + "/api/v1/certificates",
                    body,
                    {"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"},
                )
            )

        threads = [threading.Thread(target=fire) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with engine.connect() as connection:
            after = connection.execute(text("select count(*) from certificate")).scalar_one()
            items = connection.execute(text("select count(*) from item_code")).scalar_one()
        engine.dispose()
    statuses = sorted(status for status, _ in results)
    numbers = {answer["certificate"]["number"] for status, answer in results if status == 201}
    assert after == before + 1
    assert len(numbers) == 1
    assert all(status in (201, 409) for status in statuses) and 201 in statuses
    assert items == 3 * 3 + 500  # three demo certificates of three items each, plus this one
