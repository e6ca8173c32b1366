"""How current an offline copy of the revocation list is, and when that is too old.

A signature proves who issued a code, not that it is still valid: only the revocation
list says that, and offline it is only as current as the last download. The list's own
`issued_at` is when it last changed, which can be weeks ago for a list that is still
current, so freshness is measured from when the copy was fetched: the intake page notes
that time itself, and `traceability verify` takes the saved file's modification time
(what `curl -o` or a browser download sets). Past the grace period a genuine signature
is reported as such, but as not yet confirmed against current revocations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

DEFAULT_MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class Freshness:
    version: int | None  # None: no list at all
    fetched_at: datetime | None
    age: timedelta | None
    max_age: timedelta

    @property
    def current(self) -> bool:
        return self.age is not None and self.age <= self.max_age

    def warning(self) -> tuple[str, str] | None:
        """(zh, en) to show beside a verdict, or None when the list is current."""
        if self.version is None:
            return (
                "未提供撤销列表：已作废的合格证也会显示为真品，请联网核对。",
                "No revocation list: a revoked certificate would still read as genuine; "
                "check online.",
            )
        if self.current:
            return None
        hours = int((self.age or timedelta()).total_seconds() // 3600)
        limit = int(self.max_age.total_seconds() // 3600)
        return (
            f"撤销列表已 {hours} 小时未更新（超过 {limit} 小时）：结果待联网确认。",
            f"The revocation list is {hours} h old (over {limit} h): confirm online.",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "age_hours": round(self.age.total_seconds() / 3600, 1) if self.age else None,
            "max_age_hours": self.max_age.total_seconds() / 3600,
            "current": self.current,
        }


def freshness(
    version: int | None,
    fetched_at: datetime | None,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
) -> Freshness:
    now = now or datetime.now(UTC)
    age = max(now - fetched_at, timedelta()) if fetched_at is not None else None
    return Freshness(version, fetched_at, age, max_age)
