"""Kiosk terminals (合格证智能机) and their print jobs.

A print job is a row with a state machine, so no job is lost when the agent or the
server restarts; the agent's own journal is what makes printing happen at most once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class Terminal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    township_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    site: str = Field(default="", max_length=200)
    printer_model: str = Field(default="", max_length=100)
    driver: str = Field(default="tspl", max_length=16)
    certificate_layout: str = Field(default="certificate-80x60", max_length=40)
    item_layout: str = Field(default="item-40x30", max_length=40)
    dpi: int = Field(default=203)
    enrolment_hash: str | None = Field(default=None, max_length=64)
    enrolment_expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    credential_prefix: str | None = Field(default=None, max_length=12, unique=True)
    credential_hash: str | None = Field(default=None, max_length=64)
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_seen_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    offline_since: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    agent_version: str | None = Field(default=None, max_length=40)
    printer_state: str | None = Field(default=None, max_length=20)
    printer_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class JobState(StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"
    PRINTED = "printed"
    UNCERTAIN = "uncertain"  # bytes may have reached the printer; a person decides
    FAILED = "failed"
    CANCELLED = "cancelled"


class PrintJob(SQLModel, table=True):
    __tablename__ = "print_job"

    id: str = Field(primary_key=True, max_length=36)
    terminal_id: int = Field(foreign_key="terminal.id", index=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    include_certificate: bool = Field(default=True)
    first_item: int = Field(default=1)
    last_item: int = Field(default=0)
    kind: str = Field(default="original", max_length=16)
    reprint_of: str | None = Field(default=None, max_length=36)
    reason: str | None = Field(default=None, max_length=300)
    requested_by: str | None = Field(default=None, max_length=64)
    state: str = Field(default=JobState.QUEUED.value, max_length=16, index=True)
    claim_token: str | None = Field(default=None, max_length=64)
    attempts: int = Field(default=0)
    waiting_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    outcome: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=500)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
