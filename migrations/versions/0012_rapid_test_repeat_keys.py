"""a test is recorded once, held by the database: natural and submission keys of rapid_test

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12 12:00:00
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, its column)
INDEXES = [
    ("uq_rapid_test_natural_key", "natural_key"),
    ("uq_rapid_test_submission_key", "submission_key"),
]
CHINA = ZoneInfo("Asia/Shanghai")
_tests = sa.table(
    "rapid_test",
    sa.column("id", sa.Integer),
    sa.column("method", sa.String),
    sa.column("sample_no", sa.String),
    sa.column("target", sa.String),
    sa.column("lab_name", sa.String),
    sa.column("report_no", sa.String),
    sa.column("producer_id", sa.Integer),
    sa.column("batch_id", sa.Integer),
    sa.column("product_id", sa.Integer),
    sa.column("tested_at", sa.DateTime(timezone=True)),
    sa.column("natural_key", sa.String),
)


def natural_key(row: Any) -> str | None:
    """`compliance.testing.natural_key` as it stands at this revision (kept here, frozen,
    so that this revision fills the column as the service of its time does)."""
    if row.method == "lab_report":
        if not row.report_no:
            return None
        parts: list[Any] = [row.method, row.lab_name, row.report_no]
    else:
        if not row.sample_no:
            return None
        tested: datetime = row.tested_at
        if tested.tzinfo is None:  # SQLite keeps UTC without its offset
            tested = tested.replace(tzinfo=UTC)
        day = tested.astimezone(CHINA).date().isoformat()
        parts = [row.method, row.sample_no, row.target, day]
    parts += [row.producer_id, row.batch_id, row.product_id]
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _describe(row: Any) -> str:
    if row.method == "lab_report":
        what = f"lab_report {row.lab_name} report {row.report_no}"
    else:
        what = f"{row.method} sample {row.sample_no} target {row.target or '-'}"
    return f"{what}, producer {row.producer_id}, batch {row.batch_id}, product {row.product_id}"


def upgrade() -> None:
    # Look before changing anything, and name every clash at once: Alembic does not wrap
    # SQLite's DDL in a transaction, so a step refused half way would leave the others.
    connection = op.get_bind()
    read = [column for column in _tests.c if column.name != "natural_key"]
    rows = connection.execute(sa.select(*read).order_by(_tests.c.id)).all()
    keys: dict[str, list[Any]] = {}
    for row in rows:
        key = natural_key(row)
        if key is not None:
            keys.setdefault(key, []).append(row)
    clashes = [
        " = ".join(f"T{row.id}" for row in group) + f" ({_describe(group[0])})"
        for group in keys.values()
        if len(group) > 1
    ]
    if clashes:
        raise RuntimeError(
            "0012 cannot add its unique indexes: these tests repeat one another: "
            + "; ".join(clashes)
            + ". Each group is one test recorded more than once before the service refused "
            "repeats (a copy of a failed test also opened a case of its own). Decide with the "
            "county's records which copy stands; tests are kept, so give every other copy a "
            "sample number (rapid test) or report number (lab report) of its own, e.g. "
            "UPDATE rapid_test SET sample_no = sample_no || '/T7' WHERE id = 7, "
            "then upgrade again."
        )
    with op.batch_alter_table("rapid_test", schema=None) as batch_op:
        for _, column in INDEXES:
            batch_op.add_column(sa.Column(column, sa.String(length=64), nullable=True))
    for key, group in keys.items():
        connection.execute(
            _tests.update().where(_tests.c.id == group[0].id).values(natural_key=key)
        )
    with op.batch_alter_table("rapid_test", schema=None) as batch_op:
        for name, column in INDEXES:
            where = sa.text(f"{column} IS NOT NULL")
            batch_op.create_index(
                name, [column], unique=True, postgresql_where=where, sqlite_where=where
            )


def downgrade() -> None:
    with op.batch_alter_table("rapid_test", schema=None) as batch_op:
        for name, column in reversed(INDEXES):
            batch_op.drop_index(name)
            batch_op.drop_column(column)
