"""Revocations as an append-only log; its highest id is the revocation list's version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class RevocationEvent(SQLModel, table=True):
    __tablename__ = "revocation_event"

    id: int | None = Field(default=None, primary_key=True)
    group_code: str | None = Field(default=None, max_length=10, index=True)
    serial: str | None = Field(default=None, max_length=26, index=True)
    certificate_id: int | None = Field(default=None, foreign_key="certificate.id", index=True)
    reason: str = Field(max_length=300)
    actor: str | None = Field(default=None, max_length=100)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
