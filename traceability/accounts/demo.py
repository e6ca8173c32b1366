"""Demo accounts, one per role, with published passwords. Demo data only, never production."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from traceability.accounts.service import UserInput, create_user
from traceability.models import Market, Producer, Region

DEMO_PASSWORD = "qinghe-demo-2026"
# (username, role, what it is scoped to)
DEMO_ACCOUNTS = [
    ("admin", "county_admin", None),
    ("chengguan", "township_supervisor", "379901001"),  # 城关街道
    ("lvyuan", "producer", "青禾绿源蔬菜有限公司"),
    ("market", "market_inspector", "青禾县城关农贸市场（演示）"),
    ("kuaijian", "rapid_test_operator", None),
    ("kiosk", "kiosk", None),
]


def create_demo_accounts(session: Session, config: Any, report: dict[str, Any]) -> None:
    """A demo hook: the accounts above, and a market for the inspector when none exists."""
    township = session.exec(select(Region).where(Region.code == "379901001")).first()
    producer = session.exec(select(Producer).where(Producer.name == DEMO_ACCOUNTS[2][2])).first()
    market = session.exec(select(Market).where(Market.name == DEMO_ACCOUNTS[3][2])).first()
    if market is None:
        market = Market(
            name=str(DEMO_ACCOUNTS[3][2]),
            kind="farmers_market",
            region_id=township.id if township else None,
        )
        session.add(market)
        session.flush()
    accounts = []
    for username, role, _ in DEMO_ACCOUNTS:
        create_user(
            session,
            UserInput(
                username=username,
                role=role,
                password=DEMO_PASSWORD,
                display_name=f"演示{username}",
                producer_id=producer.id if role == "producer" and producer else None,
                market_id=market.id if role == "market_inspector" else None,
                township_ids=[township.id]
                if role == "township_supervisor" and township and township.id
                else [],
            ),
        )
        accounts.append({"username": username, "role": role, "password": DEMO_PASSWORD})
    report["accounts"] = accounts
