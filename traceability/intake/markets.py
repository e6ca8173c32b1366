"""The market registry: who receives goods and must keep an intake ledger."""

from __future__ import annotations

from sqlmodel import Session

from traceability.db import record_by_id
from traceability.errors import NotFound, ValidationFailed
from traceability.models import Market, MarketKind

# the columns' widths: a longer value is refused, never cut short without a word
LIMITS = {
    "region": (100, "所在地区"),
    "address": (300, "地址"),
    "contact": (100, "联系人"),
    "phone": (20, "联系电话"),
}


def create_market(
    session: Session,
    *,
    name: str,
    kind: str,
    region: str = "",
    address: str = "",
    contact: str = "",
    phone: str = "",
    region_id: int | None = None,
) -> Market:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed(
            "请填写市场名称（不超过 200 字）。",
            "Give the market a name (200 characters at most).",
            code="market_name_required",
        )
    if kind not in {k.value for k in MarketKind}:
        raise ValidationFailed(
            "市场类型须为 supermarket、wholesale 或 farmers_market。",
            "The market kind must be supermarket, wholesale or farmers_market.",
            code="invalid_market_kind",
        )
    fields = {
        "region": region.strip(),
        "address": address.strip(),
        "contact": contact.strip(),
        "phone": phone.strip(),
    }
    for field, (limit, field_zh) in LIMITS.items():
        if len(fields[field]) > limit:
            raise ValidationFailed(
                f"{field_zh}不能超过 {limit} 字。",
                f"The {field} must be {limit} characters at most.",
                code=f"market_{field}_too_long",
            )
    market = Market(
        name=name,
        kind=kind,
        region=fields["region"],
        region_id=region_id,
        address=fields["address"],
        contact=fields["contact"],
        phone=fields["phone"],
    )
    session.add(market)
    session.flush()
    return market


def get_market(session: Session, market_id: int | None) -> Market:
    market = record_by_id(session, Market, market_id)
    if market is None:
        raise NotFound("找不到该市场。", "No such market.", code="market_not_found")
    return market
