"""Demo data: one county with townships, villages, producers of every kind, products, batches.

Loaded only into an empty database, so running `make run` again keeps real data.
The county is fictional (青禾县, code 379901) and marked as demo data.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from traceability.models import (
    Batch,
    Market,
    Producer,
    ProducerKind,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    User,
)

COUNTY = ("379901", "青禾县（演示）")
TOWNSHIPS = [
    ("379901001", "城关街道", [("379901001201", "东关村"), ("379901001202", "西关村")]),
    ("379901101", "清河镇", [("379901101201", "李家庄村"), ("379901101202", "王家洼村")]),
    ("379901201", "石门乡", [("379901201201", "石门村"), ("379901201203", "茶园村")]),
]
# (kind, name, village code, phone, uscc, products: (name, category, unit, gtin))
PRODUCERS: list[tuple[str, str, str, str, str | None, list[tuple[str, str, str, str | None]]]] = [
    (
        ProducerKind.ENTERPRISE,
        "青禾绿源蔬菜有限公司",
        "379901001201",
        "13912345678",
        "91379901MA3C4N5X8N",
        [
            ("黄瓜", ProductCategory.VEGETABLE, "kg", "06901234567892"),
            ("香菇", ProductCategory.VEGETABLE, "kg", None),
        ],
    ),
    (
        ProducerKind.COOPERATIVE,
        "青禾县清河果蔬专业合作社",
        "379901101201",
        "13812345679",
        "93379901MA3D8K2Q1G",
        [
            ("红富士苹果", ProductCategory.FRUIT, "kg", None),
            ("鸡蛋", ProductCategory.EGG, "枚", None),
        ],
    ),
    (
        ProducerKind.FAMILY_FARM,
        "李家庄生态家庭农场",
        "379901101201",
        "13712345670",
        None,
        [
            ("草鱼", ProductCategory.AQUATIC, "kg", None),
            ("生猪", ProductCategory.LIVESTOCK, "头", None),
        ],
    ),
    (
        ProducerKind.SMALLHOLDER,
        "张秀英",
        "379901201203",
        "13612345671",
        None,
        [
            ("茶鲜叶", ProductCategory.TEA, "kg", None),
            ("西红柿", ProductCategory.VEGETABLE, "kg", None),
        ],
    ),
    (
        ProducerKind.PURCHASER,
        "青禾县万家农产品收购站",
        "379901001202",
        "13512345672",
        "92379901MA3E1F6G2L",
        [("混装时令蔬菜", ProductCategory.VEGETABLE, "kg", None)],
    ),
]

DEMO_HOOKS: list[Any] = []
DEMO_CERTIFICATES = 3  # of the first batches; the last one is revoked


def database_is_empty(session: Session) -> bool:
    """No regions, producers, markets or accounts: a county that set up its own real data
    (accounts and producers before its divisions, say) never gets the demo's accounts
    with their printed password, nor its PINs on real producers' numbers."""
    return all(
        session.exec(select(column).limit(1)).first() is None
        for column in (Region.id, Producer.id, Market.id, User.id)
    )


def load_demo(
    session: Session,
    config: Any,
    *,
    beside_accounts: bool = False,
    rapid_tests: bool = True,
) -> dict[str, Any]:
    """Load the demo county into an empty database; report what is there either way.

    `beside_accounts` lets test set-ups that made their own accounts first load it still
    (never the `demo` command): then only divisions already there keep it out.
    `rapid_tests=False` leaves out the demo's tests and their case
    (`traceability.compliance.demo`), for set-ups that record their own from none.
    """
    present = (
        session.exec(select(Region.id).limit(1)).first() is not None
        if beside_accounts
        else not database_is_empty(session)
    )
    if present:
        return {"loaded": False, "county": COUNTY[1], "producers": 0, "codes": []}
    county = Region(code=COUNTY[0], name=COUNTY[1], level=RegionLevel.COUNTY)
    session.add(county)
    session.flush()
    villages: dict[str, Region] = {}
    for town_code, town_name, village_list in TOWNSHIPS:
        town = Region(
            code=town_code, name=town_name, level=RegionLevel.TOWNSHIP, parent_id=county.id
        )
        session.add(town)
        session.flush()
        for village_code, village_name in village_list:
            village = Region(
                code=village_code, name=village_name, level=RegionLevel.VILLAGE, parent_id=town.id
            )
            session.add(village)
            villages[village_code] = village
    session.flush()
    today = date.today()
    batches: list[Batch] = []
    for index, (kind, name, village_code, phone, uscc, products) in enumerate(PRODUCERS):
        village = villages[village_code]
        producer = Producer(
            kind=kind,
            name=name,
            uscc=uscc,
            contact_name=name if kind == ProducerKind.SMALLHOLDER else "联系人",
            phone=phone,
            region_id=village.id,
            address=f"{COUNTY[1]}{village.name}",
        )
        session.add(producer)
        session.flush()
        for offset, (product_name, category, unit, gtin) in enumerate(products):
            product = Product(
                producer_id=producer.id or 0,
                name=product_name,
                category=category,
                default_unit=unit,
                gtin=gtin,
            )
            session.add(product)
            session.flush()
            batch = Batch(
                producer_id=producer.id or 0,
                product_id=product.id or 0,
                lot=f"DEMO{index + 1:02d}{offset + 1:02d}",
                quantity=Decimal("50") if unit == "kg" else Decimal("100"),
                unit=unit,
                harvest_date=today - timedelta(days=1),
                origin_region_id=village.id,
                origin_text=f"{COUNTY[1]}{village.name}",
            )
            session.add(batch)
            batches.append(batch)
    session.flush()
    report: dict[str, Any] = {
        "loaded": True,
        "county": COUNTY[1],
        "producers": len(PRODUCERS),
        "batches": len(batches),
        "codes": [],
    }
    report["codes"] = _issue_demo_certificates(session, config, batches)
    report["kiosk_cards"] = _demo_kiosk_cards(session, config)
    for hook in DEMO_HOOKS:
        hook(session, config, report)
    if rapid_tests:
        from traceability.compliance.demo import create_demo_tests

        create_demo_tests(session, config, report)  # by the demo's operator: after the accounts
    return report


DEMO_KIOSK_PIN = "123456"  # demo data only: printed by `traceability demo`, never a default


def _demo_kiosk_cards(session: Session, config: Any) -> list[dict[str, Any]]:
    """Every demo producer can sign in at a kiosk with its card and the demo PIN."""
    from traceability.kiosk.signin import card_url, set_pin

    cards = []
    for producer in session.exec(select(Producer).order_by(Producer.id)).all():  # type: ignore[arg-type]
        credential = set_pin(session, producer.id or 0, DEMO_KIOSK_PIN)
        cards.append(
            {
                "producer_id": producer.id,
                "name": producer.name,
                "card": card_url(config["PUBLIC_BASE_URL"], credential),
                "pin": DEMO_KIOSK_PIN,
            }
        )
    return cards


def _issue_demo_certificates(
    session: Session, config: Any, batches: list[Batch]
) -> list[dict[str, str]]:
    """A few certificates to scan at once, one of them revoked."""
    from traceability import keystore
    from traceability.codes import code_url
    from traceability.issuing.revocation import revoke_certificate
    from traceability.issuing.service import IssueRequest, issue_certificate

    keystore.ensure_active_key(session, config["SIGNING_KEY_PASSPHRASE"])
    key = keystore.active_signing_key(session, config["SIGNING_KEY_PASSPHRASE"])
    codes: list[dict[str, str]] = []
    chosen = batches[:DEMO_CERTIFICATES]
    for index, batch in enumerate(chosen):
        issued = issue_certificate(
            session,
            IssueRequest(
                producer_id=batch.producer_id,
                batch_id=batch.id,
                item_count=3,
                basis=["quality_control"],
                signature_confirmed=True,
                channel="demo",
            ),
            key,
        )
        status = "valid"
        if index == len(chosen) - 1:
            revoke_certificate(
                session, issued.certificate, "演示：批次复检不合格，已作废", actor="demo"
            )
            status = "revoked"
        codes.append(
            {
                "number": issued.certificate.number,
                "product": issued.certificate.product_name,
                "status": status,
                "url": code_url(config["PUBLIC_BASE_URL"], issued.codes[0]),
            }
        )
    return codes


def _register_demo_hooks() -> None:
    from traceability.accounts.demo import create_demo_accounts

    DEMO_HOOKS.append(create_demo_accounts)


_register_demo_hooks()
