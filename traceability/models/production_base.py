"""Production bases (生产基地): where a producer grows or raises what it certifies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Numeric
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow
from traceability.translatable import N_


class AreaUnit(StrEnum):
    MU = "mu"  # 亩 (1/15 hectare)
    HECTARE = "hectare"  # 公顷


AREA_UNIT_ZH = {AreaUnit.MU: N_("亩"), AreaUnit.HECTARE: N_("公顷")}


class ProductionBase(SQLModel, table=True):
    __tablename__ = "production_base"

    id: int | None = Field(default=None, primary_key=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    name: str = Field(max_length=200)
    location: str = Field(default="", max_length=300)
    area: Decimal | None = Field(default=None, sa_column=Column(Numeric(14, 2), nullable=True))
    area_unit: str = Field(default=AreaUnit.MU.value, max_length=16)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    active: bool = Field(default=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
