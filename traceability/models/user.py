"""People who sign in to the web pages: a role and the tenant the role is scoped to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from traceability.models.types import UTCDateTime, utcnow


class User(SQLModel, table=True):
    """A web account. Only an argon2 hash of the password is kept.

    The scope depends on the role: `producer_id` for producer users, `township_ids`
    for township supervisors, `market_id` for market inspectors; county admins and
    rapid-test operators have none.
    """

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(default="", max_length=100)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=32, index=True)
    producer_id: int | None = Field(default=None, foreign_key="producer.id", index=True)
    market_id: int | None = Field(default=None, foreign_key="market.id", index=True)
    township_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_login_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per remote address, so guessing across accounts is slowed too."""

    __tablename__ = "login_throttle"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64, unique=True)
    failures: int = Field(default=0)
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
