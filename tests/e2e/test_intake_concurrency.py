"""Two markets receiving the same goods at the same moment: one first receipt per item.

Real concurrency needs real processes: gunicorn with four workers, the markets' scanners
posting from threads released together, on SQLite and on PostgreSQL. Each market sends
the codes in its own order, as two scanners would, so their row locks cross.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from tests.e2e.server import cli_json, gunicorn_server, post_json

MARKETS = 4
ITEMS = 12
ROUNDS = 3


def test_markets_racing_for_the_same_items_get_one_first_receipt_each(
    empty_database_url: str, tmp_path: Path
) -> None:
    with gunicorn_server(
        empty_database_url, tmp_path / "instance", extra_env={"WEB_CONCURRENCY": "4"}
    ) as server:
        base, env = server.base_url, server.env
        cli_json(env, "demo")
        admin = cli_json(env, "token", "create", "--name", "admin", "--role", "county_admin")
        status, issued = post_json(
            base + "/api/v1/certificates",
            {
                "producer_id": 1,
                "batch_id": 1,
                "items": ITEMS * ROUNDS,
                "basis": ["quality_control"],
                "signature_confirmed": True,
            },
            {"Authorization": f"Bearer {admin['token']}"},
        )
        assert status == 201, issued
        urls = [item["url"] for item in issued["items"]]
        tokens = []
        for n in range(MARKETS):
            market = cli_json(env, "market", "add", "--name", f"市场{n}", "--kind", "supermarket")
            tokens.append(
                cli_json(
                    env,
                    "token",
                    "create",
                    "--name",
                    f"inspector{n}",
                    "--role",
                    "market_inspector",
                    "--market-id",
                    str(market["id"]),
                )["token"]
            )

        answers: list[tuple[int, int, dict[str, Any]]] = []
        for round_ in range(ROUNDS):
            codes = urls[round_ * ITEMS : (round_ + 1) * ITEMS]
            barrier = threading.Barrier(MARKETS)

            def receive(n: int, codes: list[str] = codes, barrier: Any = barrier) -> None:
                # each market scans the pile in its own order: locks taken in crossing orders
                order = codes[n:] + codes[:n] if n % 2 == 0 else list(reversed(codes))
                records = [{"uuid": str(uuid.uuid4()), "code": code} for code in order]
                barrier.wait()
                status, body = post_json(
                    base + "/api/v1/intake",
                    {"records": records},
                    {"Authorization": f"Bearer {tokens[n]}"},
                )
                answers.append((n, status, body))

            threads = [threading.Thread(target=receive, args=(n,)) for n in range(MARKETS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    assert [status for _, status, _ in answers] == [200] * (MARKETS * ROUNDS), answers
    per_code: dict[str, Counter[str]] = {}
    for _, _, body in answers:
        for result in body["results"]:
            assert result["recorded"] is True
            per_code.setdefault(result["record"]["serial"], Counter())[result["verdict"]] += 1
    assert len(per_code) == ITEMS * ROUNDS
    for serial, verdicts in per_code.items():
        # exactly one market received it first; every other one is warned it may be copied
        assert verdicts == Counter({"genuine": 1, "other_market": MARKETS - 1}), serial
