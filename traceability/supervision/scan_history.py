"""One code's scans, place by place and day by day, for the supervisor checking a label.

The list of codes that may have been copied (`cloned_codes`) says that a code was scanned
too often or from too many places. Before going to the producer or the market, the
supervisor needs to know when and where: one burst on one day from one network is a
shop assistant testing the scanner; scans from four networks every day for a month are
copies of the label on sale. This is the first reader of `scan_event`, which the lookup
writes one row per scan.

Places are the lookup's coarse keys (`coarse_place`: a keyed hash of the phone's /16
network), never an address. They are named 地点 1, 2, … in the order they first
scanned, with the key's first characters, so the same network can be recognised on
another code's page. The day-by-day table reads at most `EVENTS_READ` of the newest scans:
a copied label can be scanned tens of thousands of times, and the page must stay quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from traceability.beijing_time import beijing_date
from traceability.errors import NotFound, ValidationFailed
from traceability.models import ItemCode, ScanEvent
from traceability.supervision.code_owners import (
    OWNER_COLUMNS,
    CodeOwner,
    TownshipScope,
    with_owners,
)

EVENTS_READ = 20_000
KEY_SHOWN = 6  # characters of a place key on the page: enough to tell networks apart
LONGEST_INPUT = 512  # a lookup URL is ~150 characters; anything longer is not a code


@dataclass(frozen=True)
class PlaceScans:
    """The scans from one coarse place."""

    number: int  # 地点 1, 2, … in the order the places first scanned
    key: str  # the first KEY_SHOWN characters of the place key
    scans: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class DayScans:
    """One Beijing calendar day with scans."""

    day: date
    scans: int
    places: tuple[int, ...]  # the numbers of the places that scanned that day


@dataclass(frozen=True)
class ScanHistory:
    serial: str
    scans: int  # the code's count, as the lookup shows it
    first_scan_at: datetime | None
    last_scan_at: datetime | None
    owner: CodeOwner
    places: list[PlaceScans]
    days: list[DayScans]  # newest first
    days_cut: bool  # more than EVENTS_READ scans: older days are left out of `days`


def serial_of(text: str | None) -> str:
    """The serial in what the supervisor typed or scanned: a serial or the label's whole URL.

    A URL's path is `/C/<serial>.<kid>.<signature>` (docs/code-format.md); the serial is
    what comes before the first dot. Case and surrounding spaces do not matter.
    """
    value = (text or "").strip()
    if not value:
        raise ValidationFailed(
            "请输入或扫描追溯码。", "Type or scan a trace code.", code="code_missing"
        )
    if len(value) > LONGEST_INPUT:
        raise ValidationFailed(
            "这不是追溯码：内容太长。请扫描合格证或标签上的二维码。",
            "This is not a trace code: it is too long. Scan the QR code on the label.",
            code="code_too_long",
        )
    if "/C/" in value:
        value = value.split("/C/", 1)[1]
    return value.split("?", 1)[0].split(".", 1)[0].strip().upper()


def code_not_found() -> NotFound:
    return NotFound(
        "没有找到这个追溯码，或它不属于您辖区的生产主体。请核对后重新输入。",
        "No such trace code for a producer in your area. Check it and type it again.",
        code="code_not_found",
    )


def scan_history(session: Session, scope: set[int] | None, serial: str) -> ScanHistory:
    """The code's scans; NotFound when it is unknown, not issued or outside `scope`."""
    row = session.execute(
        with_owners(
            select(
                col(ItemCode.id),
                col(ItemCode.scan_count),
                col(ItemCode.first_scan_at),
                col(ItemCode.last_scan_at),
                *OWNER_COLUMNS,
            )
        ).where(col(ItemCode.serial) == serial)
    ).first()
    if row is None:
        raise code_not_found()
    townships = TownshipScope(session, scope)
    owner = townships.owner(row)
    if not townships.covers(owner.producer_id):
        raise code_not_found()  # the unknown code's answer: no code leaks across townships
    places = _places(session, row[0])
    numbers = {place: p.number for place, p in places.items()}
    days, cut = _days(session, row[0], numbers)
    return ScanHistory(
        serial=serial,
        scans=row[1],
        first_scan_at=row[2],
        last_scan_at=row[3],
        owner=owner,
        places=list(places.values()),
        days=days,
        days_cut=cut,
    )


def _places(session: Session, item_id: int) -> dict[str, PlaceScans]:
    """Place key → its scans, numbered in the order the places first scanned."""
    first = func.min(col(ScanEvent.at))
    rows = session.execute(
        select(col(ScanEvent.place), func.count(), first, func.max(col(ScanEvent.at)))
        .where(col(ScanEvent.item_code_id) == item_id)
        .group_by(col(ScanEvent.place))
        .order_by(first, col(ScanEvent.place))
    ).all()
    return {
        place: PlaceScans(number, place[:KEY_SHOWN], count, first_at, last_at)
        for number, (place, count, first_at, last_at) in enumerate(rows, start=1)
    }


def _days(session: Session, item_id: int, numbers: dict[str, int]) -> tuple[list[DayScans], bool]:
    """Scans per Beijing day, newest first, from the newest EVENTS_READ scans.

    Days are counted here, not in SQL: "a day" is Beijing's (`beijing_date`), which SQLite
    and PostgreSQL would each need their own expression for.
    """
    rows = session.execute(
        select(col(ScanEvent.at), col(ScanEvent.place))
        .where(col(ScanEvent.item_code_id) == item_id)
        .order_by(col(ScanEvent.at).desc(), col(ScanEvent.id).desc())
        .limit(EVENTS_READ + 1)
    ).all()
    cut = len(rows) > EVENTS_READ
    if cut:
        # the oldest day read may be incomplete: leave it out rather than undercount it
        oldest = beijing_date(rows[EVENTS_READ - 1][0])
        rows = [r for r in rows[:EVENTS_READ] if beijing_date(r[0]) != oldest]
    counts: dict[date, int] = {}
    places: dict[date, set[int]] = {}
    for at, place in rows:
        day = beijing_date(at)
        counts[day] = counts.get(day, 0) + 1
        seen = places.setdefault(day, set())
        if place in numbers:  # a place first written after `_places` read them: next time
            seen.add(numbers[place])
    return [DayScans(day, counts[day], tuple(sorted(places[day]))) for day in counts], cut
