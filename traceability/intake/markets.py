"""The market registry: who receives goods and must keep an intake ledger."""

from __future__ import annotations

from sqlmodel import Session

from traceability.errors import NotFound, ValidationFailed
from traceability.models import Market, MarketKind


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
    market = Market(
        name=name,
        kind=kind,
        region=region.strip()[:100],
        region_id=region_id,
        address=address.strip()[:300],
        contact=contact.strip()[:100],
        phone=phone.strip()[:20],
    )
    session.add(market)
    session.flush()
    return market


def get_market(session: Session, market_id: int | None) -> Market:
    market = session.get(Market, market_id) if market_id is not None else None
    if market is None:
        raise NotFound("找不到该市场。", "No such market.", code="market_not_found")
    return market
