"""Compliance records: input use (投入品使用记录), reference lists, rapid tests, cases, refusals.

Production records are append-only: the law wants them kept at least two years
(RECORD_RETENTION_DAYS, default 730) and the service deletes none of them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class InputKind(StrEnum):
    PESTICIDE = "pesticide"  # 农药
    VETERINARY = "veterinary"  # 兽药
    FERTILIZER = "fertilizer"  # 肥料
    FEED = "feed"  # 饲料及饲料添加剂
    OTHER = "other"


class InputUse(SQLModel, table=True):
    """One use of a farm input on a batch, or on a product before its next harvest."""

    __tablename__ = "input_use"

    id: int | None = Field(default=None, primary_key=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="product.id", index=True)
    base_id: int | None = Field(default=None, foreign_key="production_base.id", index=True)
    kind: str = Field(max_length=16)
    substance: str = Field(max_length=100)  # 有效成分 / 通用名
    product_name: str = Field(default="", max_length=100)  # 商品名
    registration_no: str = Field(default="", max_length=40)  # 农药/兽药登记证号
    dose: str = Field(max_length=100)
    method: str = Field(max_length=100)
    used_on: date
    operator: str = Field(max_length=100)
    # 安全间隔期 / 休药期 in days as printed on the product's label
    interval_days: int | None = Field(default=None)
    recorded_by: str = Field(default="", max_length=100)
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ReferenceKind(StrEnum):
    PESTICIDE = "pesticide"  # 禁限用农药
    VETERINARY = "veterinary"  # 食品动物禁用兽药及化合物
    ADDITIVE = "additive"  # 非法添加物
    INTERVAL = "interval"  # 安全间隔期 / 休药期 defaults


class ReferenceRevision(SQLModel, table=True):
    """A version of one reference list: the shipped file's, then one per admin edit."""

    __tablename__ = "reference_revision"
    __table_args__ = (UniqueConstraint("kind", "revision", name="uq_reference_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    revision: int
    file_version: str = Field(max_length=40)
    source: str = Field(max_length=500)
    note: str = Field(default="", max_length=300)
    actor: str = Field(default="", max_length=100)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ReferenceSubstance(SQLModel, table=True):
    """A banned or restricted substance (pesticide, veterinary drug or illegal additive)."""

    __tablename__ = "reference_substance"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16, index=True)
    substance_zh: str = Field(max_length=200)
    substance_en: str = Field(default="", max_length=200)
    scope: str = Field(default="all", max_length=8)  # all | crops
    crop_groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scope_text: str = Field(default="", max_length=300)
    except_methods: str = Field(default="", max_length=100)
    effective_from: date | None = Field(default=None)
    source: str = Field(max_length=200)
    verified: str = Field(default="check", max_length=8)  # yes | check
    active: bool = Field(default=True)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class IntervalDefault(SQLModel, table=True):
    """A default 安全间隔期/休药期 for a substance on a crop group, product or animal.

    Only rows with a citable source belong here; the label's value on the input-use
    entry always wins.
    """

    __tablename__ = "interval_default"

    id: int | None = Field(default=None, primary_key=True)
    substance: str = Field(max_length=100, index=True)
    applies_to: str = Field(max_length=100)  # crop group (蔬菜…), product or animal name
    days: int
    source: str = Field(max_length=200)
    verified: str = Field(default="check", max_length=8)
    active: bool = Field(default=True)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class TestMethod(StrEnum):
    ENZYME_INHIBITION = "enzyme_inhibition"  # 酶抑制率法 GB/T 5009.199
    COLLOIDAL_GOLD = "colloidal_gold"  # 胶体金免疫层析
    LAB_REPORT = "lab_report"  # 实验室检测报告 (not a rapid method)


class TestResult(StrEnum):
    PASS = "pass"  # 合格 / 阴性
    FAIL = "fail"  # 不合格 / 阳性


# What makes a test a repeat of one stored (compliance/testing.py: `natural_key`,
# `submission_key`), also held by the database, so that two copies that pass the service's
# check at the same moment (an unknown seller's sample has no row to lock) cannot both be
# saved. A test without a key (no sample number, no submission id) is never a repeat.
UNIQUE_NATURAL_KEY = "uq_rapid_test_natural_key"
UNIQUE_SUBMISSION_KEY = "uq_rapid_test_submission_key"


def _when_present(column: str) -> dict[str, Any]:
    where = text(f"{column} IS NOT NULL")
    return {"postgresql_where": where, "sqlite_where": where}


class RapidTest(SQLModel, table=True):
    """A test of a sample: rapid (enzyme inhibition, gold strip) or a lab report."""

    __tablename__ = "rapid_test"
    __test__ = False  # not a pytest class
    __table_args__ = (
        Index(UNIQUE_NATURAL_KEY, "natural_key", unique=True, **_when_present("natural_key")),
        Index(
            UNIQUE_SUBMISSION_KEY, "submission_key", unique=True, **_when_present("submission_key")
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    sample_no: str = Field(default="", max_length=40)
    producer_id: int | None = Field(default=None, foreign_key="producer.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    product_name: str = Field(max_length=100)
    place: str = Field(default="", max_length=200)
    # the township where the sample was taken (抽样地点所在乡镇): for an unknown seller's
    # sample the only fact that places it, and so its case, in a supervisor's townships;
    # beside a producer it is informational (the producer's township scopes its records)
    township_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    method: str = Field(max_length=20)
    inhibition_rate: Decimal | None = Field(default=None, max_digits=5, decimal_places=2)
    target: str = Field(default="", max_length=100)
    lab_name: str = Field(default="", max_length=200)
    report_no: str = Field(default="", max_length=60)
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    report_file: str = Field(default="", max_length=300)
    result: str = Field(max_length=8, index=True)
    operator: str = Field(max_length=100)
    instrument: str = Field(default="", max_length=100)
    channel: str = Field(default="api", max_length=16)  # page | api | csv
    retest_of_case_id: int | None = Field(default=None, index=True)
    # SHA-256 (hex) of the test's natural key: a lab's report number, or a sample's number,
    # method, target and Beijing day, each with the producer, batch and product
    natural_key: str | None = Field(default=None, max_length=64)
    # SHA-256 (hex) of the recorder, the client's submission id and what was submitted
    submission_key: str | None = Field(default=None, max_length=64)
    tested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    recorded_by: str = Field(default="", max_length=100)
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class LabReportFile(SQLModel, table=True):
    """The scanned or photographed 检测报告 of a lab-report test, kept in the database.

    In the database, not on disk: it is written in the test's own transaction (a test is
    never half-saved, a refused upload leaves nothing) and travels with every backup.
    """

    __tablename__ = "lab_report_file"

    id: int | None = Field(default=None, primary_key=True)
    rapid_test_id: int = Field(foreign_key="rapid_test.id", index=True)
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=40)  # from the file's magic bytes, never the client
    size: int
    filename: str = Field(max_length=200)  # sanitised; shown and offered on download only
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str = Field(default="", max_length=100)  # principal key, e.g. "user:3"
    uploaded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class CaseState(StrEnum):
    DISPOSAL = "disposal"  # 不合格处置; the re-test window runs
    RETEST_REQUESTED = "retest_requested"  # 申请复检
    INVESTIGATING = "investigating"  # 立案调查
    CLOSED = "closed"


class CaseOutcome(StrEnum):
    PENALTY = "penalty"  # 行政处罚
    WARNING = "warning"  # 警告/责令改正
    CLEARED = "cleared"  # 排除嫌疑


class ComplianceCase(SQLModel, table=True):
    """检打联动: what a failed test sets off, for the township supervisor."""

    __tablename__ = "compliance_case"

    id: int | None = Field(default=None, primary_key=True)
    test_id: int = Field(foreign_key="rapid_test.id", index=True)
    producer_id: int | None = Field(default=None, foreign_key="producer.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    state: str = Field(default=CaseState.DISPOSAL.value, max_length=20, index=True)
    blocking: bool = Field(default=True, index=True)
    revoked_certificates: int = Field(default=0)
    # as counted when the case opened; pages, API and checks count it again with the
    # calendar known now (compliance.cases.current_deadline)
    retest_deadline: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    retest_requested_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    retest_test_id: int | None = Field(default=None, foreign_key="rapid_test.id")
    disposal: str = Field(default="", max_length=300)
    disposal_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    outcome: str | None = Field(default=None, max_length=16)
    outcome_note: str = Field(default="", max_length=500)
    history: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    opened_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class IssueRefusal(SQLModel, table=True):
    """A certificate the service refused to issue, and why (kept for supervisors)."""

    __tablename__ = "issue_refusal"

    id: int | None = Field(default=None, primary_key=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id")
    product_name: str = Field(default="", max_length=100)
    reason: str = Field(max_length=40, index=True)
    message_zh: str = Field(max_length=1000)
    message_en: str = Field(max_length=1000)
    list_version: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=200)
    channel: str = Field(default="api", max_length=16)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
