"""Pre-printed code rolls (印刷激活): codes signed and printed before any certificate exists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class CodeRoll(SQLModel, table=True):
    __tablename__ = "code_roll"

    id: int | None = Field(default=None, primary_key=True)
    group_code: str = Field(max_length=10, unique=True)
    size: int
    kid: str = Field(max_length=8)
    producer_id: int | None = Field(default=None, foreign_key="producer.id", index=True)
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
