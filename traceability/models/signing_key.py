"""Signing keys: private halves encrypted at rest, public halves published as JWKS."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class KeyStatus(StrEnum):
    ACTIVE = "active"  # signs new codes
    RETIRED = "retired"  # no longer signs; its codes still verify
    COMPROMISED = "compromised"  # codes signed after `compromised_since` are suspect


class SigningKeyRecord(SQLModel, table=True):
    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True, max_length=8)
    algorithm: str = Field(default="Ed25519", max_length=16)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    private_key_encrypted: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default=KeyStatus.ACTIVE.value, max_length=16, index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    retired_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    compromised_since: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
