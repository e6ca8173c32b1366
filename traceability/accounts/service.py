"""Users: create, change, deactivate, and sign in with lockout after repeated failures.

Sign-in failures are counted per account and per remote address; after
`max_failures` in a row the account (or address) is locked for `lockout`. Counters are
written even when sign-in fails, so the caller commits before reporting the refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from traceability.accounts.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from traceability.audit import record_audit, snapshot
from traceability.auth.tokens import ROLES, Principal
from traceability.db import record_by_id
from traceability.errors import Conflict, DomainError, NotFound, ValidationFailed
from traceability.models import LoginThrottle, Market, Producer, User
from traceability.models.types import utcnow
from traceability.regions.directory import are_townships

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")
USER_FIELDS = (
    "username",
    "display_name",
    "role",
    "producer_id",
    "market_id",
    "township_ids",
    "active",
)
# argon2 hash of a random password: verifying it costs what a real check costs, so a
# missing username takes as long to refuse as a wrong password
_DUMMY_HASH = hash_password("not-a-real-password-7c1f")


class LoginRefused(DomainError):
    status = 401
    code = "login_refused"


@dataclass
class UserInput:
    username: str
    role: str
    password: str
    display_name: str = ""
    producer_id: int | None = None
    market_id: int | None = None
    township_ids: Sequence[int] = field(default_factory=tuple)


def principal_for(user: User) -> Principal:
    return Principal(
        "user",
        str(user.id),
        user.role,
        user.producer_id,
        user.market_id,
        tuple(user.township_ids or ()),
        user.username,
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            f"密码至少需要{MIN_LENGTH}个字符。",
            f"The password needs at least {MIN_LENGTH} characters.",
            code="password_too_short",
        )


def _check_scope(session: Session, data: UserInput) -> tuple[int | None, int | None, list[int]]:
    """Each role carries exactly the tenant it is scoped to, and nothing else."""
    producer_id = market_id = None
    townships: list[int] = []
    if data.role in {"producer", "kiosk"} and data.producer_id is not None:
        if record_by_id(session, Producer, data.producer_id) is None:
            raise ValidationFailed("找不到该生产主体。", "No such producer.", code="scope")
        producer_id = data.producer_id
    if data.role == "producer" and producer_id is None:
        raise ValidationFailed(
            "生产主体用户须指定所属生产主体。", "A producer user needs its producer.", code="scope"
        )
    if data.role == "market_inspector":
        if record_by_id(session, Market, data.market_id) is None:
            raise ValidationFailed(
                "市场查验员须指定所属市场。", "A market inspector needs its market.", code="scope"
            )
        market_id = data.market_id
    if data.role == "township_supervisor":
        townships = sorted(set(data.township_ids))
        if not are_townships(session, townships):
            raise ValidationFailed(
                "乡镇监管员须指定所管辖的乡镇。",
                "A township supervisor needs the townships it covers.",
                code="scope",
            )
    return producer_id, market_id, townships


def create_user(session: Session, data: UserInput, *, principal: Principal | None = None) -> User:
    if not USERNAME.match(data.username or ""):
        raise ValidationFailed(
            "用户名须为3–64位字母、数字或 _ . -。",
            "A username is 3–64 letters, digits, _ . or -.",
            code="username",
        )
    if data.role not in ROLES:
        raise ValidationFailed(f"未知角色 {data.role}。", f"Unknown role {data.role}.", code="role")
    if session.exec(select(User).where(User.username == data.username)).first() is not None:
        raise Conflict("该用户名已被使用。", "That username is taken.", code="username_taken")
    _check_password(data.password)
    producer_id, market_id, townships = _check_scope(session, data)
    user = User(
        username=data.username,
        display_name=data.display_name.strip()[:100],
        password_hash=hash_password(data.password),
        role=data.role,
        producer_id=producer_id,
        market_id=market_id,
        township_ids=townships,
    )
    session.add(user)
    session.flush()
    record_audit(
        session, principal, "user.create", object_type="user", object_id=user.id,
        after=snapshot(user, USER_FIELDS),
    )  # fmt: skip
    return user


def get_user(session: Session, user_id: int) -> User:
    user = record_by_id(session, User, user_id)
    if user is None:
        raise NotFound("找不到该用户。", "No such user.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.id))).all())


def set_user_active(
    session: Session, user_id: int, active: bool, *, principal: Principal | None = None
) -> User:
    user = get_user(session, user_id)
    before = snapshot(user, ("active",))
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    session.add(user)
    action = "user.activate" if active else "user.deactivate"
    record_audit(
        session, principal, action, object_type="user", object_id=user.id,
        before=before, after=snapshot(user, ("active",)),
    )  # fmt: skip
    return user


def set_password(
    session: Session, user_id: int, password: str, *, principal: Principal | None = None
) -> User:
    _check_password(password)
    user = get_user(session, user_id)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    record_audit(session, principal, "user.password", object_type="user", object_id=user.id)
    return user


def _throttle(session: Session, address: str) -> LoginThrottle:
    row = session.exec(select(LoginThrottle).where(LoginThrottle.address == address)).first()
    if row is None:
        row = LoginThrottle(address=address[:64])
        session.add(row)
    return row


def _locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def _locked_out(minutes: int) -> LoginRefused:
    return LoginRefused(
        f"登录失败次数过多，请{minutes}分钟后再试。",
        f"Too many failed sign-ins; try again in {minutes} minutes.",
        code="locked_out",
        status=429,
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    max_failures: int = 5,
    lockout: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
) -> User:
    """The user for these credentials, or LoginRefused (counters updated: commit them)."""
    now = now or utcnow()
    minutes = int(lockout.total_seconds() // 60)
    throttle = _throttle(session, address or "unknown")
    if throttle.updated_at + lockout < now and not _locked(throttle.locked_until, now):
        throttle.failures = 0  # an old run of failures is forgotten
    user = session.exec(select(User).where(User.username == username)).first()
    if _locked(throttle.locked_until, now) or (
        user is not None and _locked(user.locked_until, now)
    ):
        raise _locked_out(minutes)
    good = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is not None and good and user.active:
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        session.add(user)
        record_audit(
            session, principal_for(user), "auth.login", object_type="user", object_id=user.id
        )
        return user
    throttle.failures += 1
    throttle.updated_at = now
    if throttle.failures >= max_failures:
        throttle.locked_until, throttle.failures = now + lockout, 0
    if user is not None:
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until, user.failed_logins = now + lockout, 0
            record_audit(
                session, f"address:{address}", "auth.lockout", object_type="user",
                object_id=user.id, remote_addr=address,
            )  # fmt: skip
        session.add(user)
    session.add(throttle)
    raise LoginRefused(
        "用户名或密码错误，或账号已停用。",
        "Wrong username or password, or the account is disabled.",
    )
