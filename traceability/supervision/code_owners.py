"""What a trace code belongs to (certificate, product, producer, township), for supervisors.

The list of codes that may have been copied and one code's scan history both name a code by
its certificate and producer, and both answer only inside the supervisor's townships. One
query shape and one scope rule serve both, so the two pages cannot disagree on whose a code is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col

from traceability.models import Certificate, ItemCode, Producer
from traceability.supervision.overview import producer_townships, townships_in_scope

OWNER_COLUMNS: tuple[Any, ...] = (
    col(Certificate.number),
    col(Certificate.status),
    col(Certificate.product_name),
    col(Certificate.producer_id),
    col(Producer.name),
)
"""Select these last; `TownshipScope.owner` reads them from the end of the row."""


def with_owners(query: Select[Any]) -> Select[Any]:
    """`query` over `item_code` joined to each code's certificate and producer.

    An inner join: a code not yet on a certificate (a pre-printed roll) belongs to no one
    a supervisor could visit, so it is left out.
    """
    return query.join(Certificate, col(Certificate.id) == col(ItemCode.certificate_id)).join(
        Producer, col(Producer.id) == col(Certificate.producer_id)
    )


@dataclass(frozen=True)
class CodeOwner:
    certificate_number: str
    certificate_status: str
    product_name: str
    producer_id: int
    producer_name: str
    township: str | None  # None: a producer registered at county level


class TownshipScope:
    """The townships a supervisor may see (None: the whole county) and their producers."""

    def __init__(self, session: Session, scope: set[int] | None) -> None:
        self.whole_county = scope is None
        self._townships = producer_townships(session)
        self._names = {t.id: t.name for t in townships_in_scope(session, scope)}

    def producers(self) -> list[int]:
        """The producers of the townships in scope (not meaningful for the whole county)."""
        return [p for p, t in self._townships.items() if p is not None and t in self._names]

    def covers(self, producer_id: int) -> bool:
        return self.whole_county or self._townships.get(producer_id) in self._names

    def owner(self, row: Sequence[Any]) -> CodeOwner:
        """The owner from a row that ends with `OWNER_COLUMNS`."""
        number, status, product, producer_id, producer = row[-len(OWNER_COLUMNS) :]
        township_id = self._townships.get(producer_id)
        return CodeOwner(
            certificate_number=number,
            certificate_status=status,
            product_name=product,
            producer_id=producer_id,
            producer_name=producer,
            township=self._names.get(township_id) if township_id is not None else None,
        )
