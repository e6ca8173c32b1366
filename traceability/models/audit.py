"""The audit log: one append-only row per write (who, as what, did what, to what, when, from where).

The application has no code path that updates or deletes a row; on both databases a
trigger (migration 0005) refuses UPDATE and DELETE as well.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    actor: str = Field(max_length=100, index=True)  # principal key, e.g. "user:3", "token:7"
    actor_name: str = Field(default="", max_length=100)
    role: str = Field(default="", max_length=32)
    action: str = Field(max_length=64, index=True)
    object_type: str = Field(default="", max_length=40, index=True)
    object_id: str = Field(default="", max_length=64, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reason: str = Field(default="", max_length=500)
    remote_addr: str = Field(default="", max_length=64)
    terminal: str = Field(default="", max_length=64)
