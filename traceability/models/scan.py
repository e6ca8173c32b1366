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


class ScanPlace(SQLModel, table=True):
    """Each distinct coarse place a code was scanned from, once.

    The clone signal counts places; reading them back from `scan_event` cost one row
    per scan on every lookup (thousands for a copied label), this costs one per place.
    """

    __tablename__ = "scan_place"

    item_code_id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"),
            ForeignKey("item_code.id"),
            primary_key=True,
        )
    )
    place: str = Field(max_length=16, primary_key=True)
