"""where a sample was taken: rapid_test.township_id (an unknown seller's case reaches its township)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-19 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_rapid_test_township_id"
FOREIGN_KEY = "fk_rapid_test_township_id_region"


def upgrade() -> None:
    # Nullable and left empty for the tests already stored: nothing says where they were
    # sampled (`place` is free text), so they stay county business as before.
    with op.batch_alter_table("rapid_test", schema=None) as batch_op:
        batch_op.add_column(sa.Column("township_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(FOREIGN_KEY, "region", ["township_id"], ["id"])
        batch_op.create_index(INDEX, ["township_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rapid_test", schema=None) as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch_op.drop_index(INDEX)
        batch_op.drop_column("township_id")
