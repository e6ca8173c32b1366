"""The intake ledger (进货查验记录) and recalls with the alerts they raise at markets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class IntakeVerdict(StrEnum):
    GENUINE = "genuine"
    REVOKED = "revoked"
    NOT_GENUINE = "not_genuine"
    OTHER_MARKET = "other_market"  # the same item was already received by another market
    OVER_SCANNED = "over_scanned"  # the same item was already received here
    PAPER = "paper"  # a paper certificate, photographed and transcribed


ACCEPTED_VERDICTS = (IntakeVerdict.GENUINE.value, IntakeVerdict.PAPER.value)


class IntakeRecord(SQLModel, table=True):
    """One checked item (or one paper certificate) entering a market.

    `uuid` is made by the client, so a record queued offline and sent twice is stored once.
    """

    __tablename__ = "intake_record"
    __table_args__ = (
        Index("ix_intake_record_market_received", "market_id", "received_at"),
        Index("ix_intake_record_certificate_market", "certificate_id", "market_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(max_length=36, unique=True)
    market_id: int = Field(foreign_key="market.id")
    method: str = Field(max_length=8)  # code | paper
    verdict: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=300)
    offline_verdict: str | None = Field(default=None, max_length=16)
    serial: str | None = Field(default=None, max_length=26, index=True)
    certificate_id: int | None = Field(default=None, foreign_key="certificate.id")
    certificate_number: str = Field(default="", max_length=64, index=True)
    supplier: str = Field(default="", max_length=200, index=True)
    product: str = Field(default="", max_length=100, index=True)
    quantity: Decimal = Field(default=Decimal(0), max_digits=14, decimal_places=3)
    unit: str = Field(default="", max_length=10)
    origin: str = Field(default="", max_length=300)
    issuer: str = Field(default="", max_length=200)
    issuer_phone: str = Field(default="", max_length=20)
    certificate_date: date | None = Field(default=None)
    photo_path: str | None = Field(default=None, max_length=300)
    inspector: str = Field(default="", max_length=100)
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Recall(SQLModel, table=True):
    """A supervisor's recall of one batch, or of a producer's certificates in a date range."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    producer_id: int | None = Field(default=None, foreign_key="producer.id", index=True)
    date_from: date | None = Field(default=None)
    date_to: date | None = Field(default=None)
    reason: str = Field(max_length=300)
    actor: str | None = Field(default=None, max_length=100)
    certificates: int = Field(default=0)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class RecallAlert(SQLModel, table=True):
    """Shown on a market's intake page until someone there acknowledges it."""

    __tablename__ = "recall_alert"
    __table_args__ = (UniqueConstraint("recall_id", "market_id", name="uq_recall_alert_market"),)

    id: int | None = Field(default=None, primary_key=True)
    recall_id: int = Field(foreign_key="recall.id", index=True)
    market_id: int = Field(foreign_key="market.id", index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    acknowledged_by: str | None = Field(default=None, max_length=100)
