"""One counter that says when public lookup answers may have changed for already issued codes.

Lookups keep each certificate's facts in memory per worker (see
`traceability.lookup.snapshots`); every transaction that revokes, compromises a key or
adds a rapid test bumps this counter, and workers compare it at most once a second.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class LookupRevision(SQLModel, table=True):
    __tablename__ = "lookup_revision"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False, default=0))
