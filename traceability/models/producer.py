"""Producers (生产主体) and purchasers (收购者) who issue certificates."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow
from traceability.translatable import N_


class ProducerKind(StrEnum):
    ENTERPRISE = "enterprise"  # 生产企业
    COOPERATIVE = "cooperative"  # 农民专业合作社
    FAMILY_FARM = "family_farm"  # 家庭农场
    SMALLHOLDER = "smallholder"  # 农户/散户
    PURCHASER = "purchaser"  # 收购单位或个人

    @property
    def label_zh(self) -> str:
        return PRODUCER_KIND_ZH[self]


PRODUCER_KIND_ZH = {
    ProducerKind.ENTERPRISE: N_("生产企业"),
    ProducerKind.COOPERATIVE: N_("农民专业合作社"),
    ProducerKind.FAMILY_FARM: N_("家庭农场"),
    ProducerKind.SMALLHOLDER: N_("农户"),
    ProducerKind.PURCHASER: N_("收购者"),
}


class ProducerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Producer(SQLModel, table=True):
    """A subject in the registry (生产主体名录).

    The ID-card number is never stored in clear: `id_number_encrypted` holds it
    encrypted, `id_number_digest` finds duplicates, `id_number_masked` is shown.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    name: str = Field(max_length=200, index=True)
    uscc: str | None = Field(default=None, max_length=18, index=True)
    id_number_encrypted: str | None = Field(default=None, max_length=400)
    id_number_digest: str | None = Field(default=None, max_length=64, index=True)
    id_number_masked: str | None = Field(default=None, max_length=20)
    contact_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=20)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    address: str | None = Field(default=None, max_length=300)
    # GB/T 2260 / 10114 / NBS code as entered; retired codes stay valid for old records
    division_code: str | None = Field(default=None, max_length=12, index=True)
    status: str = Field(default=ProducerStatus.ACTIVE.value, max_length=16)
    status_reason: str | None = Field(default=None, max_length=300)
    # a supervisor accepted a code that fails its check (some issued codes do); audited too
    check_override_reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
