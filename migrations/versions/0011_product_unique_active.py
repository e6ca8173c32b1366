"""product uniqueness in the database: one active name per producer, one active product per GTIN

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_ONLY: dict[str, Any] = {
    "postgresql_where": sa.text("active"),
    "sqlite_where": sa.text("active"),
}
# (index, its columns, the rows that would break it)
INDEXES = [
    (
        "uq_product_producer_active_name",
        ["producer_id", "name"],
        "SELECT producer_id, name, COUNT(*) AS n FROM product WHERE active"
        " GROUP BY producer_id, name HAVING COUNT(*) > 1",
    ),
    (
        "uq_product_active_gtin",
        ["gtin"],
        "SELECT gtin, COUNT(*) AS n FROM product WHERE active AND gtin IS NOT NULL"
        " GROUP BY gtin HAVING COUNT(*) > 1",
    ),
]


def upgrade() -> None:
    # Look before creating anything, and name every clash at once: Alembic does not wrap
    # SQLite's DDL in a transaction, so an index refused half way would leave the other.
    connection = op.get_bind()
    clashes = [
        f"{row['n']} active products with "
        + " ".join(f"{k}={v}" for k, v in row.items() if k != "n")
        for _, _, query in INDEXES
        for row in connection.execute(sa.text(query)).mappings()
    ]
    if clashes:
        raise RuntimeError(
            "0011 cannot add its unique indexes: " + "; ".join(clashes) + ". Deactivate or "
            "correct all but one product of each (admin page or PATCH /api/v1/products/<id>), "
            "then upgrade again."
        )
    with op.batch_alter_table("product", schema=None) as batch_op:
        for name, columns, _ in INDEXES:
            batch_op.create_index(name, columns, unique=True, **ACTIVE_ONLY)


def downgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        for name, _, _ in reversed(INDEXES):
            batch_op.drop_index(name)
