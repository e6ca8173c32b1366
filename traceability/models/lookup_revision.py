"""One counter that says when public lookup answers may have changed for issued codes.

Lookups keep each certificate's facts in memory per worker (`traceability.lookup.snapshots`).
Every transaction that revokes, changes a certificate, marks a key compromised or adds a
rapid test bumps this counter when it commits, from ORM session hooks registered here,
with the tables, so that the web app, the CLI and scripts all bump it; workers compare
it at most once a second.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, event, insert, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Field, SQLModel


class LookupRevision(SQLModel, table=True):
    __tablename__ = "lookup_revision"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False, default=0))


_REVISION = LookupRevision.__table__  # type: ignore[attr-defined]
_local_changes = 0  # commits in this process that bumped the revision


def local_changes() -> int:
    """How many commits of this process changed lookup facts: caches here clear at once."""
    return _local_changes


def read_revision(session: Any) -> int:
    value = (
        session.connection().execute(select(_REVISION.c.value).where(_REVISION.c.id == 1)).scalar()
    )
    return int(value or 0)


def _watched() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(new, changed or deleted rows matter; only changed or deleted rows matter).

    A new certificate or upstream link has no answers cached anywhere yet.
    """
    from traceability.models import (
        Certificate,
        CertificateUpstream,
        RapidTest,
        RevocationEvent,
        SigningKeyRecord,
    )

    always = (RevocationEvent, SigningKeyRecord, RapidTest)
    return always, (*always, Certificate, CertificateUpstream)


def touches_lookup_facts(session: OrmSession) -> bool:
    always, changed = _watched()
    if any(isinstance(obj, always) for obj in session.new):
        return True
    if any(isinstance(obj, changed) for obj in session.deleted):
        return True
    return any(
        isinstance(obj, changed) and session.is_modified(obj, include_collections=False)
        for obj in session.dirty
    )


@event.listens_for(OrmSession, "after_flush")
def _note_change(session: OrmSession, _context: UOWTransaction) -> None:
    if touches_lookup_facts(session):
        session.info["lookup_facts_changed"] = True


@event.listens_for(OrmSession, "before_commit")
def _bump_revision(session: OrmSession) -> None:
    """Bump in the committing transaction, as its last statement.

    Last, so the counter's row lock is the last lock any writer takes and is held only
    while committing: bumped at each flush, two transactions revoking certificates in
    opposite order deadlocked on PostgreSQL. In the same transaction, so readers see the
    new value only together with the change (a sequence would show it before, and a
    worker could cache the old facts under the new number).
    """
    if session.in_nested_transaction():
        return  # a savepoint: the outermost commit bumps
    session.flush()  # the commit's own last flush, so that its changes are noted too
    if not session.info.get("lookup_facts_changed"):
        return
    connection = session.connection()
    bumped = connection.execute(
        update(_REVISION).where(_REVISION.c.id == 1).values(value=_REVISION.c.value + 1)
    )
    if bumped.rowcount == 0:  # a database created without the migration's first row
        connection.execute(insert(_REVISION).values(id=1, value=1))


@event.listens_for(OrmSession, "after_commit")
def _note_local_change(session: OrmSession) -> None:
    global _local_changes
    if session.in_nested_transaction():
        return  # a savepoint's commit: the outermost one bumps, and needs the mark till then
    if session.info.pop("lookup_facts_changed", False):
        _local_changes += 1


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_rolled_back_change(session: OrmSession, previous: Any) -> None:
    if previous.nested:
        return  # a rolled-back savepoint: earlier changes of the transaction still count
    session.info.pop("lookup_facts_changed", None)
