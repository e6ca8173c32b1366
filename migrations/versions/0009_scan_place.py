"""scan places: each distinct coarse place a code was scanned from, filled from scan_event

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 10:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scan_place",
        sa.Column(
            "item_code_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("place", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["item_code_id"], ["item_code.id"]),
        sa.PrimaryKeyConstraint("item_code_id", "place"),
    )
    op.execute(
        "INSERT INTO scan_place (item_code_id, place)"
        " SELECT DISTINCT item_code_id, place FROM scan_event"
    )


def downgrade() -> None:
    op.drop_table("scan_place")
