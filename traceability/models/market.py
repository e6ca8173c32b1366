"""Markets that receive produce: supermarkets, wholesale and farmers' markets (查验主体)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class MarketKind(StrEnum):
    SUPERMARKET = "supermarket"  # 超市
    WHOLESALE = "wholesale"  # 农产品批发市场
    FARMERS_MARKET = "farmers_market"  # 农贸市场（集中交易市场）


MARKET_KIND_ZH = {
    MarketKind.SUPERMARKET: "超市",
    MarketKind.WHOLESALE: "批发市场",
    MarketKind.FARMERS_MARKET: "农贸市场",
}


class Market(SQLModel, table=True):
    """A buyer that must check and keep certificates (收取、查验、留存)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    kind: str = Field(max_length=20)
    region: str = Field(default="", max_length=100)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    address: str = Field(default="", max_length=300)
    contact: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=20)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
