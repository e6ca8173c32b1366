"""How a producer signs in at a kiosk: a card code (QR on the producer card) and a PIN."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class ProducerCredential(SQLModel, table=True):
    """Kept apart from the registry row: a PIN is a secret, the registry is shared data."""

    __tablename__ = "producer_credential"

    producer_id: int = Field(primary_key=True, foreign_key="producer.id")
    card_code: str = Field(max_length=16, unique=True)
    pin_hash: str = Field(max_length=200)
    failed_count: int = Field(default=0)
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
