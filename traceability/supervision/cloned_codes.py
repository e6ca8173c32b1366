"""Codes that may have been copied (疑似被复制的追溯码), listed for the supervisors.

A consumer's phone says 可能被复制 when a code was scanned more than `SCANS_PLAUSIBLE`
times or from more than `PLACES_PLAUSIBLE` places (`traceability.lookup.service`): one
package is rarely scanned that often, so a printed label has likely been copied onto
others. The supervisors see the same codes here, for their own townships, so the
township can go to the producer and the market rather than wait for a complaint.

The codes are those of certificates issued in the last `days` days (90 by default, at
most 365), most-scanned first, at most `LIMIT`. They are found through their
certificates (indexed), never by reading the whole `item_code` table. Places are
counted only for codes scanned more than `PLACES_PLAUSIBLE` times, since fewer scans
cannot come from more places. No index on the scan counts: it would end the HOT updates
that keep the lookup's scan flushes cheap (docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from traceability.lookup.service import PLACES_PLAUSIBLE, SCANS_PLAUSIBLE
from traceability.models import Certificate, ItemCode, ScanPlace
from traceability.supervision.code_owners import (
    OWNER_COLUMNS,
    CodeOwner,
    TownshipScope,
    with_owners,
)
from traceability.whole_numbers import whole_number

DEFAULT_DAYS = 90
MAX_DAYS = 365
LIMIT = 200


@dataclass(frozen=True)
class SuspectCode:
    """One code scanned more often, or from more places, than one package would be."""

    serial: str
    scans: int
    places: int
    first_scan_at: datetime | None
    last_scan_at: datetime | None
    owner: CodeOwner


@dataclass(frozen=True)
class SuspectCodes:
    days: int
    codes: list[SuspectCode]
    more: bool  # LIMIT reached: there are more than shown


def parse_days(value: str | None) -> int:
    """How many days of certificates to look through: 1 to MAX_DAYS, 90 by default."""
    return whole_number(
        value,
        low=1,
        high=MAX_DAYS,
        default=DEFAULT_DAYS,
        field_zh="天数",
        field_en="days",
        code="invalid_days",
    )


def suspect_codes(
    session: Session, scope: set[int] | None, days: int, *, now: datetime
) -> SuspectCodes:
    """The suspect codes of the townships in `scope` (None: the whole county)."""
    townships = TownshipScope(session, scope)
    places = (
        select(func.count())
        .where(col(ScanPlace.item_code_id) == col(ItemCode.id))
        .correlate(ItemCode)
        .scalar_subquery()
    )
    query = (
        with_owners(
            select(
                col(ItemCode.serial),
                col(ItemCode.scan_count),
                places,
                col(ItemCode.first_scan_at),
                col(ItemCode.last_scan_at),
                *OWNER_COLUMNS,
            )
        )
        .where(
            col(Certificate.issued_at) >= now - timedelta(days=days),
            col(ItemCode.scan_count) > PLACES_PLAUSIBLE,
            or_(col(ItemCode.scan_count) > SCANS_PLAUSIBLE, places > PLACES_PLAUSIBLE),
        )
        .order_by(col(ItemCode.scan_count).desc(), col(ItemCode.serial))
        .limit(LIMIT + 1)
    )
    if not townships.whole_county:
        query = query.where(col(Certificate.producer_id).in_(townships.producers() or [-1]))
    rows = session.execute(query).all()
    codes = [
        SuspectCode(
            serial=row[0],
            scans=row[1],
            places=int(row[2]),
            first_scan_at=row[3],
            last_scan_at=row[4],
            owner=townships.owner(row),
        )
        for row in rows[:LIMIT]
    ]
    return SuspectCodes(days, codes, more=len(rows) > LIMIT)
