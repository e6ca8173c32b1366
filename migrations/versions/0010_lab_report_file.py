"""lab report files: the scanned or photographed 检测报告 of a lab-report test, in the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lab_report_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rapid_test_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rapid_test_id"], ["rapid_test.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lab_report_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lab_report_file_rapid_test_id"), ["rapid_test_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lab_report_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lab_report_file_rapid_test_id"))
    op.drop_table("lab_report_file")
