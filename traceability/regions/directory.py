"""Read-only views of the registry by region, for the home page and supervisors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from traceability.models import Producer, Region, RegionLevel
from traceability.whole_numbers import MAX_INTEGER_ID


@dataclass
class TownshipSummary:
    region: Region
    villages: list[Region] = field(default_factory=list)
    producers: list[Producer] = field(default_factory=list)


@dataclass
class CountySummary:
    region: Region
    townships: list[TownshipSummary] = field(default_factory=list)


def are_townships(session: Session, ids: Sequence[int]) -> bool:
    """Whether every id is a township's: a supervisor scoped to a village, a county or a
    number that names nothing would see lists its record pages then refuse."""
    wanted = set(ids)
    if not wanted or not all(0 < i <= MAX_INTEGER_ID for i in wanted):
        return False
    found = session.exec(
        select(Region.id).where(col(Region.id).in_(wanted), Region.level == RegionLevel.TOWNSHIP)
    ).all()
    return len(set(found)) == len(wanted)


TOWNSHIP_CODE_DIGITS = 9  # GB/T 10114: six of the county, three of the township


def township_by_id_or_code(session: Session, value: int | str) -> Region | None:
    """The township a person names by its record id or its 9-digit division code, as the
    accounts' `--township` and a test's sampling township are given; a current row before
    a retired one of the same code. None when the value names no township at all (the
    caller says which field was wrong and checks `retired`)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    if len(text) == TOWNSHIP_CODE_DIGITS:
        rows = session.exec(
            select(Region)
            .where(Region.code == text, Region.level == RegionLevel.TOWNSHIP)
            .order_by(col(Region.retired), col(Region.code_year).desc())
        ).all()
        return rows[0] if rows else None
    number = int(text)
    if not 0 < number <= MAX_INTEGER_ID:  # region.id is an integer column
        return None
    region = session.get(Region, number)
    return region if region is not None and region.level == RegionLevel.TOWNSHIP else None


def regions_named(session: Session, text: str) -> list[Region]:
    """The current divisions whose code (6, 9 or 12 digits) or exact name is `text`;
    several when villages in different townships share a name."""
    text = text.strip()
    column = Region.code if text.isascii() and text.isdigit() else Region.name
    return list(
        session.exec(
            select(Region)
            .where(column == text, col(Region.retired).is_(False))
            .order_by(col(Region.code))
        ).all()
    )


def county_overview(session: Session) -> list[CountySummary]:
    """Every county with its townships, their villages and the producers registered there.

    Three queries whatever the size, so the page cost does not grow per township.
    """
    regions = session.exec(select(Region).where(col(Region.retired).is_(False))).all()
    by_id = {r.id: r for r in regions}
    counties = [CountySummary(r) for r in regions if r.level == RegionLevel.COUNTY]
    townships: dict[int, TownshipSummary] = {}
    county_by_id = {c.region.id: c for c in counties}
    for region in sorted(regions, key=lambda r: r.code):
        if region.level == RegionLevel.TOWNSHIP and region.parent_id in county_by_id:
            summary = TownshipSummary(region)
            townships[region.id or 0] = summary
            county_by_id[region.parent_id].townships.append(summary)
    for region in sorted(regions, key=lambda r: r.code):
        if region.level == RegionLevel.VILLAGE and region.parent_id in townships:
            townships[region.parent_id].villages.append(region)
    producers = session.exec(select(Producer).order_by(col(Producer.name))).all()
    for producer in producers:
        place: Region | None = by_id.get(producer.region_id)
        while place is not None and place.level == RegionLevel.VILLAGE:
            place = by_id.get(place.parent_id)
        if place is not None and place.id in townships:
            townships[place.id].producers.append(producer)
    return counties
