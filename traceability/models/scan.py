"""Scans of item codes: how often and from how many coarse places (no raw addresses)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class ScanEvent(SQLModel, table=True):
    __tablename__ = "scan_event"

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    item_code_id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"),
            ForeignKey("item_code.id"),
            nullable=False,
            index=True,
        )
    )
    place: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
