"""Demo rapid tests: the supervision pages of the demo county show something to follow.

Without them a supervisor opening the demo saw empty tests, cases and township pages,
which is not what a county bureau evaluating the service needs to see. Each test goes
through `record_test`, as a kiosk operator's would, so the one failure does what a real
one does (检打联动): it opens a case, revokes the batch's certificates and blocks the
batch until a retest. The failure is on a batch the demo issued no certificate for, so
the demo's printed codes keep the verdicts `traceability demo` lists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from traceability.beijing_time import CHINA
from traceability.models import Batch, Producer, Product, User

DEMO_OPERATOR = "演示快检员"
DEMO_MARKET_PLACE = "青禾县城关农贸市场（演示）"
# (sample no., producer, product, township code, place, method, reading, hours ago):
# the reading is an enzyme inhibition rate (%) or a gold strip's target and result
DEMO_TESTS: list[tuple[str, str | None, str, str, str, str, dict[str, Any], int]] = [
    (
        "QH-KJ-0001",
        "青禾绿源蔬菜有限公司",
        "黄瓜",
        "379901001",
        "青禾绿源蔬菜基地",
        "enzyme_inhibition",
        {"inhibition_rate": "12.4"},
        26,
    ),
    (
        "QH-KJ-0002",
        "青禾县清河果蔬专业合作社",
        "鸡蛋",
        "379901101",
        "清河镇合作社集货点",
        "colloidal_gold",
        {"target": "恩诺沙星", "result": "pass"},
        24,
    ),
    (
        "QH-KJ-0003",
        None,
        "韭菜（散装）",
        "379901001",
        DEMO_MARKET_PLACE,
        "colloidal_gold",
        {"target": "腐霉利", "result": "pass"},
        20,
    ),
    (
        "QH-KJ-0004",
        "张秀英",
        "西红柿",
        "379901201",
        "石门乡茶园村田头",
        "enzyme_inhibition",
        {"inhibition_rate": "63.8"},
        18,
    ),
]


def create_demo_tests(session: Session, config: Any, report: dict[str, Any]) -> None:
    """The tests above, by the demo's rapid test operator (so after the accounts)."""
    from traceability.compliance.testing import record_test

    operator = session.exec(select(User.id).where(User.username == "kuaijian")).first()
    actor = f"user:{operator}" if operator is not None else "demo"
    now = datetime.now(CHINA).replace(second=0, microsecond=0)
    recorded = []
    for sample_no, producer_name, product_name, township, place, method, reading, ago in DEMO_TESTS:
        values: dict[str, Any] = {
            "sample_no": sample_no,
            "product_name": product_name,
            "township": township,
            "place": place,
            "method": method,
            "operator": DEMO_OPERATOR,
            "instrument": "农药残留快速检测仪（演示）",
            "tested_at": (now - timedelta(hours=ago)).isoformat(),
            **reading,
        }
        if producer_name is not None:
            values["batch_id"] = _batch_of(session, producer_name, product_name)
        test = record_test(session, values, recorded_by=actor, channel="demo")
        recorded.append(
            {"sample_no": test.sample_no, "product": test.product_name, "result": test.result}
        )
    report["tests"] = recorded


def _batch_of(session: Session, producer_name: str, product_name: str) -> int:
    row = session.exec(
        select(Batch.id)
        .join(Producer, col(Producer.id) == col(Batch.producer_id))
        .join(Product, col(Product.id) == col(Batch.product_id))
        .where(Producer.name == producer_name, Product.name == product_name)
        .order_by(col(Batch.id))
    ).first()
    if row is None:
        raise LookupError(f"the demo has no batch of {product_name} by {producer_name}")
    return row
