"""Certificates (承诺达标合格证) and their item codes (一品一码).

A certificate is a snapshot: the producer's and product's fields are copied at
issue, so a later rename can never change what a printed label promised.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class CertificateStyle(StrEnum):
    """MARA Order 2025 No. 4: style 1 for producers, style 2 for purchasers."""

    PRODUCER = "1"
    PURCHASER = "2"


class Certificate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    group_code: str = Field(max_length=10, unique=True)
    style: str = Field(max_length=2)
    template_version: str = Field(max_length=32)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    product_name: str = Field(max_length=100)
    quantity: Decimal = Field(max_digits=14, decimal_places=3)
    unit: str = Field(max_length=10)
    origin_text: str = Field(max_length=300)
    origin_region_code: str | None = Field(default=None, max_length=12)
    issuer_name: str = Field(max_length=200)
    issuer_phone: str = Field(max_length=20)
    issue_date: date
    promise_text: str = Field(max_length=1000)
    basis: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    signature_kind: str = Field(default="confirmation", max_length=20)
    signature_image: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    signature_note: str | None = Field(default=None, max_length=200)
    channel: str = Field(default="api", max_length=16)
    kid: str = Field(max_length=8)
    item_count: int = Field(default=1)
    gtin: str | None = Field(default=None, max_length=14)
    status: str = Field(default=CertificateStatus.VALID.value, max_length=16, index=True)
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    revoke_reason: str | None = Field(default=None, max_length=300)
    issued_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )

    def snapshot(self) -> dict[str, Any]:
        """The printed facts, as the public lookup and labels show them."""
        return {
            "number": self.number,
            "style": self.style,
            "template_version": self.template_version,
            "product_name": self.product_name,
            "quantity": str(self.quantity.normalize() if self.quantity % 1 else int(self.quantity)),
            "unit": self.unit,
            "origin": self.origin_text,
            "origin_region_code": self.origin_region_code,
            "issuer": self.issuer_name,
            "issue_date": self.issue_date.isoformat(),
            "promise": self.promise_text,
            "basis": list(self.basis),
        }


class CertificateUpstream(SQLModel, table=True):
    """Style 2: the upstream certificates a purchaser's mixed lot was made from."""

    __tablename__ = "certificate_upstream"

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    upstream_certificate_id: int | None = Field(
        default=None, foreign_key="certificate.id", index=True
    )
    external_reference: str | None = Field(default=None, max_length=200)


class ItemCode(SQLModel, table=True):
    """One code per package or label; lean because there are millions of them."""

    __tablename__ = "item_code"

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    serial: str = Field(sa_column=Column(String(26), nullable=False, unique=True))
    certificate_id: int | None = Field(default=None, foreign_key="certificate.id", index=True)
    roll_id: int | None = Field(default=None, foreign_key="code_roll.id", index=True)
    seq: int = Field(default=1)
    kid: str = Field(max_length=8)
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    scan_count: int = Field(default=0)
    first_scan_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_scan_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
