"""API tokens: random, shown once, stored as a SHA-256 hash, scoped, expiring, revocable.

Tokens carry 256 random bits, so a fast hash is safe (no dictionary to attack); the
prefix is stored in clear only to find the row without scanning the table.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from traceability.db import record_by_id
from traceability.errors import DomainError, NotFound, ValidationFailed
from traceability.models import ApiToken, Market, Producer
from traceability.models.types import utcnow
from traceability.regions.directory import are_townships

TOKEN_PREFIX = "trc_"
LAST_USED_PRECISION = timedelta(minutes=1)  # last_used_at is written at most this often
ROLES = (
    "county_admin",
    "township_supervisor",
    "producer",
    "market_inspector",
    "rapid_test_operator",
    "kiosk",
)


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, whatever the credential."""

    kind: str  # "token" | "user" | "device"
    id: str
    role: str
    producer_id: int | None = None
    market_id: int | None = None
    township_ids: tuple[int, ...] = ()
    name: str = ""
    last_used_at: datetime | None = None  # tokens: as stored before this use

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: str,
    producer_id: int | None = None,
    market_id: int | None = None,
    township_ids: Sequence[int] = (),
    expires_in: timedelta | None = timedelta(days=365),
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token; the plaintext is returned once and never stored."""
    if role not in ROLES:
        raise ValidationFailed(
            f"未知角色 {role}。", f"Unknown role {role}; use one of {', '.join(ROLES)}."
        )
    if role == "producer" and record_by_id(session, Producer, producer_id) is None:
        raise ValidationFailed(
            "生产主体令牌须指定有效的生产主体。",
            "A producer token needs an existing producer id.",
        )
    if role == "market_inspector" and record_by_id(session, Market, market_id) is None:
        raise ValidationFailed(
            "市场查验员令牌须指定有效的市场。",
            "A market_inspector token needs an existing market id.",
        )
    if role == "township_supervisor" and not are_townships(session, township_ids):
        raise ValidationFailed(
            "乡镇监管员令牌须指定所管辖的乡镇（乡镇编号须存在，且是乡镇而非村或县）。",
            "A township_supervisor token needs the townships it covers (existing township "
            "ids, not a village's or the county's).",
        )
    now = now or utcnow()
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiToken(
        name=name[:100],
        prefix=prefix,
        token_hash=_digest(token),
        role=role,
        producer_id=producer_id,
        market_id=market_id,
        township_ids=sorted(set(township_ids)),
        created_at=now,
        expires_at=(now + expires_in) if expires_in else None,
    )
    session.add(record)
    session.flush()
    _audit(session, "token.create", record)
    return record, token


def authenticate_token(session: Session, token: str, *, now: datetime | None = None) -> Principal:
    """The principal for a bearer token, or Unauthorized with the reason."""
    refused = Unauthorized(
        "令牌无效、已过期或已吊销。",
        "The token is invalid, expired or revoked.",
        code="invalid_token",
    )
    if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2 or len(token) > 200:
        raise refused
    prefix = token[len(TOKEN_PREFIX) :].split("_", 1)[0]
    record = session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).first()
    now = now or utcnow()
    if record is None or not hmac.compare_digest(record.token_hash, _digest(token)):
        raise refused
    if record.revoked_at is not None or (
        record.expires_at is not None and record.expires_at <= now
    ):
        raise refused
    return Principal(
        "token",
        str(record.id),
        record.role,
        record.producer_id,
        record.market_id,
        tuple(record.township_ids or ()),
        record.name,
        record.last_used_at,
    )


def mark_used(engine: Engine, principal: Principal, now: datetime | None = None) -> bool:
    """Record when a token was last used (so admins can spot idle ones), once a minute.

    Its own short transaction, meant to run after the request's session is closed: a
    request that failed or only read still counts as a use. True when it wrote.
    """
    now = now or utcnow()
    if principal.kind != "token" or (
        principal.last_used_at is not None and now - principal.last_used_at < LAST_USED_PRECISION
    ):
        return False
    table = ApiToken.__table__  # type: ignore[attr-defined]
    with engine.connect() as raw:
        connection = raw.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            connection.execute(
                update(table).where(table.c.id == int(principal.id)).values(last_used_at=now)
            )
    return True


def revoke_token(session: Session, token_id: int, *, now: datetime | None = None) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound("找不到该令牌。", "No such token.")
    record.revoked_at = record.revoked_at or now or utcnow()
    session.add(record)
    _audit(session, "token.revoke", record)
    return record


def _audit(session: Session, action: str, record: ApiToken) -> None:
    from traceability.audit import record_audit, snapshot

    fields = ("name", "prefix", "role", "producer_id", "market_id", "township_ids")
    after = snapshot(record, (*fields, "expires_at", "revoked_at"))
    record_audit(session, None, action, object_type="api_token", object_id=record.id, after=after)


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, newest first; the secrets themselves are never stored."""
    return list(session.exec(select(ApiToken).order_by(ApiToken.id.desc())).all())  # type: ignore[union-attr]
