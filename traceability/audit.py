"""Appending to the audit log: `record_audit(session, principal, action, ...)`.

Every write in a domain function calls `record_audit` in the same transaction as the
write, so an entry exists exactly when the change does. Who and from where come from
the principal passed in or, when a domain function has none (e.g. issuing), from the
context the web layer or the CLI set for the current request or command.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from traceability.auth.tokens import Principal
from traceability.models import AuditEntry, User


@dataclass(frozen=True)
class AuditContext:
    """Who is acting and from where, for writes that do not name their principal."""

    principal: Principal | None = None
    remote_addr: str = ""
    terminal: str = ""


CLI_PRINCIPAL = Principal("cli", "local", "county_admin", name="command line")
_context: ContextVar[AuditContext] = ContextVar(
    "audit_context",
    default=AuditContext(),  # noqa: B039 (frozen, so immutable)
)


def current_context() -> AuditContext:
    return _context.get()


@contextmanager
def audit_context(
    principal: Principal | None = None, *, remote_addr: str = "", terminal: str = ""
) -> Iterator[AuditContext]:
    """Attribute the writes inside the block to `principal` (CLI commands, scripts)."""
    token = _context.set(AuditContext(principal, remote_addr, terminal))
    try:
        yield _context.get()
    finally:
        _context.reset(token)


def bind_principal(principal: Principal) -> None:
    """Attach the principal found while handling a request to the request's context."""
    here = _context.get()
    _context.set(AuditContext(principal, here.remote_addr, here.terminal))


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def snapshot(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a record, JSON-safe, for `before=` and `after=`."""
    return {name: _json_safe(getattr(record, name, None)) for name in fields}


def record_audit(
    session: Session,
    principal: Principal | str | None,
    action: str,
    *,
    object_type: str = "",
    object_id: Any = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
    remote_addr: str | None = None,
    terminal: str | None = None,
) -> AuditEntry:
    """Append one entry; it is committed (or rolled back) with the caller's transaction.

    `principal` may be a Principal, a principal key such as "token:7", or None to use
    the current context (the signed-in user, token or CLI).
    """
    context = _context.get()
    who = principal if principal is not None else context.principal
    if isinstance(who, Principal):
        actor, role, name = who.key, who.role, who.name
        terminal = terminal or (who.id if who.kind == "device" else None)
    else:
        actor, role, name = (who or "system"), "", ""
    entry = AuditEntry(
        actor=actor[:100],
        actor_name=name[:100],
        role=role,
        action=action[:64],
        object_type=object_type[:40],
        object_id=str(object_id if object_id is not None else "")[:64],
        before=_json_safe(before) if before is not None else None,
        after=_json_safe(after) if after is not None else None,
        reason=(reason or "")[:500],
        remote_addr=(remote_addr if remote_addr is not None else context.remote_addr)[:64],
        terminal=(terminal if terminal is not None else context.terminal)[:64],
    )
    session.add(entry)
    return entry


def list_entries(
    session: Session,
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Newest first, filtered; `before_id` pages backwards. `actor` is a key (`user:5`),
    a name as recorded, or a username: people look for 张伟 or zhangwei, not `user:5`."""
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if actor:
        keys = [actor] + [
            f"user:{user_id}"
            for user_id in session.exec(select(User.id).where(User.username == actor)).all()
        ]
        query = query.where(
            or_(col(AuditEntry.actor).in_(keys), col(AuditEntry.actor_name) == actor)
        )
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) < until)
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    query = query.order_by(col(AuditEntry.id).desc()).limit(limit)
    return list(session.exec(query).all())
