"""Which township a record belongs to: the fact the policy needs to scope supervisors.

A producer or market points at a village or a township (or a county); its township is
the region itself or its parent. Records without a township are county-level only.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from traceability.db import record_by_id
from traceability.models import Market, Producer, Region, RegionLevel


def township_of_region(session: Session, region_id: int | None) -> int | None:
    region = record_by_id(session, Region, region_id)
    if region is None:
        return None
    if region.level == RegionLevel.TOWNSHIP:
        return region.id
    if region.level == RegionLevel.VILLAGE:
        return region.parent_id
    return None


def township_of_producer(session: Session, producer_id: int) -> int | None:
    producer = record_by_id(session, Producer, producer_id)
    return None if producer is None else township_of_region(session, producer.region_id)


def townships_of_producers(session: Session, producer_ids: Iterable[int]) -> dict[int, int | None]:
    """`township_of_producer` for many producers in one query (unknown ids are left out)."""
    ids = set(producer_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Producer.id, Region.id, Region.level, Region.parent_id)
        .join(Region, col(Producer.region_id) == col(Region.id), isouter=True)
        .where(col(Producer.id).in_(ids))
    ).all()
    found: dict[int, int | None] = {}
    for producer_id, region_id, level, parent_id in rows:
        assert producer_id is not None
        if level == RegionLevel.TOWNSHIP:
            found[producer_id] = region_id
        elif level == RegionLevel.VILLAGE:
            found[producer_id] = parent_id
        else:
            found[producer_id] = None
    return found


def township_of_market(session: Session, market_id: int) -> int | None:
    market = record_by_id(session, Market, market_id)
    return None if market is None else township_of_region(session, market.region_id)


def markets_within(session: Session, township_ids: set[int]) -> set[int]:
    """The markets placed in these townships or their villages."""
    regions = regions_within(session, township_ids)
    if not regions:
        return set()
    found = session.exec(select(Market.id).where(col(Market.region_id).in_(regions))).all()
    return {market_id for market_id in found if market_id is not None}


def regions_within(session: Session, township_ids: set[int]) -> set[int]:
    """The townships and their villages: every region id a supervisor's records may use."""
    if not township_ids:
        return set()
    villages = session.exec(select(Region.id).where(col(Region.parent_id).in_(township_ids))).all()
    return set(township_ids) | {v for v in villages if v is not None}


def region_names(session: Session, region_ids: Iterable[int | None]) -> dict[int, str]:
    """Each region as people name it in a list: its township, then the village in it
    ("城关街道 东关村"); a township or county alone. Two queries whatever the count."""
    ids = {i for i in region_ids if i is not None}
    if not ids:
        return {}
    regions = {r.id: r for r in session.exec(select(Region).where(col(Region.id).in_(ids))).all()}
    parents = {r.parent_id for r in regions.values() if r.level == RegionLevel.VILLAGE}
    above = {
        r.id: r.name
        for r in session.exec(select(Region).where(col(Region.id).in_(parents or {-1}))).all()
    }
    names: dict[int, str] = {}
    for region_id, region in regions.items():
        township = above.get(region.parent_id) if region.level == RegionLevel.VILLAGE else None
        names[region_id or 0] = f"{township} {region.name}" if township else region.name
    return names
