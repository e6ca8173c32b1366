"""Copies of one test sent at the same instant are recorded once, even for an unknown
seller's sample, which has no batch or producer row to lock: real processes (gunicorn with
two workers), requests fired from threads at once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tests.e2e.server import gunicorn_server, post_json, traceability_cli
from traceability.db import make_engine

UNKNOWN_SELLER = {
    "method": "colloidal_gold",
    "target": "克伦特罗",
    "result": "fail",
    "sample_no": "M-17",
    "product_name": "猪肉",
    "place": "城关农贸市场 5 号摊",
    "operator": "快检员",
}


def test_copies_of_an_unknown_sellers_sample_sent_at_once_make_one_test_and_one_case(
    empty_database_url: str, tmp_path: Path
) -> None:
    results: list[tuple[int, dict[str, Any]]] = []
    with gunicorn_server(empty_database_url, tmp_path / "instance") as server:
        token = json.loads(
            traceability_cli(
                server.env, "token", "create", "--name", "t", "--role", "county_admin", "--json"
            ).stdout
        )["token"]
        barrier = threading.Barrier(6)

        def fire() -> None:
            barrier.wait()
            results.append(
                post_json(
                    server.base_url + "/api/v1/tests",
                    UNKNOWN_SELLER,
                    {"Authorization": f"Bearer {token}"},
                )
            )

        threads = [threading.Thread(target=fire) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        tests = connection.execute(text("select count(*) from rapid_test")).scalar_one()
        cases = connection.execute(text("select count(*) from compliance_case")).scalar_one()
    engine.dispose()
    assert (tests, cases) == (1, 1)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 5, results
    recorded = next(answer["test"]["id"] for status, answer in results if status == 201)
    refused = [answer for status, answer in results if status == 409]
    assert all(answer["error"] == "test_already_recorded" for answer in refused)
    assert all(answer["details"] == {"test_id": recorded} for answer in refused)
