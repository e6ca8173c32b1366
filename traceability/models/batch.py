"""A production batch: what one certificate vouches for."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class Batch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    lot: str = Field(max_length=20, index=True)
    quantity: Decimal = Field(max_digits=14, decimal_places=3)
    unit: str = Field(max_length=10)
    harvest_date: date | None = Field(default=None)
    origin_region_id: int | None = Field(default=None, foreign_key="region.id")
    origin_text: str = Field(max_length=300)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
