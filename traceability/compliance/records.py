"""Production records (生产记录 / 投入品使用记录): what was used, when, by whom, on what.

Entries are append-only and never deleted by the service: the law requires keeping
production and pesticide-use records at least two years (RECORD_RETENTION_DAYS, 730
by default). An entry belongs to a batch, or to a product until its next harvest.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from traceability.compliance.reference import crop_group_rules, text_field
from traceability.db import record_by_id
from traceability.errors import NotFound, ValidationFailed
from traceability.models import Batch, Product
from traceability.models.compliance import InputKind, InputUse
from traceability.translatable import N_

INPUT_KIND_ZH = {
    InputKind.PESTICIDE: N_("农药"),
    InputKind.VETERINARY: N_("兽药"),
    InputKind.FERTILIZER: N_("肥料"),
    InputKind.FEED: N_("饲料"),
    InputKind.OTHER: N_("其他"),
}
ANIMAL_GROUPS = {"畜禽", "禽蛋", "水产品"}


FIELD_LABELS_ZH = {
    "substance": "投入品名称（有效成分）",
    "dose": "用量",
    "method": "使用方法",
    "operator": "操作人",
}


def _field(values: dict[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    return text_field(
        values, name, limit, required=required, label_zh=FIELD_LABELS_ZH.get(name, name)
    )


def _date(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(
            f"{name} 的格式应为 YYYY-MM-DD。", f"{name} must be YYYY-MM-DD.", code="invalid_field"
        ) from None


# The longest pre-harvest interval / withdrawal period a record (or a reference default,
# compliance.reference) may state: how far back an input can still rule out a harvest.
MAX_INTERVAL_DAYS = 3650


def _interval(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INTERVAL_DAYS:
        raise ValidationFailed(
            "安全间隔期/休药期必须是 0–3650 的整数天数。",
            "The pre-harvest interval / withdrawal period must be 0–3650 days.",
            code="invalid_interval",
        )
    return value


def record_input_use(
    session: Session, producer_id: int, values: dict[str, Any], *, recorded_by: str
) -> InputUse:
    """Store one input-use entry after checking that its batch/product are the producer's."""
    batch_id = values.get("batch_id")
    product_id = values.get("product_id")
    batch = record_by_id(session, Batch, batch_id) if isinstance(batch_id, int) else None
    if batch_id is not None and (batch is None or batch.producer_id != producer_id):
        raise NotFound("找不到该批次。", "No such batch for this producer.", code="batch_not_found")
    if batch is not None:
        if isinstance(product_id, int) and product_id != batch.product_id:
            raise ValidationFailed(
                "所选批次不是所选产品的批次。",
                "The batch given is not a batch of the product given.",
                code="batch_product_mismatch",
            )
        product_id = batch.product_id
    product = record_by_id(session, Product, product_id) if isinstance(product_id, int) else None
    if product is None or product.producer_id != producer_id:
        raise ValidationFailed(
            "请指定本主体的批次或产品。",
            "Name a batch or product of this producer.",
            code="subject_required",
        )
    kind = _field(values, "kind", 16, required=False) or InputKind.PESTICIDE.value
    if kind not in {k.value for k in InputKind}:
        raise ValidationFailed(
            f"投入品类别无效，可用：{'、'.join(k.value for k in InputKind)}。",
            f"kind must be one of {', '.join(k.value for k in InputKind)}.",
            code="invalid_field",
        )
    used_on = _date(values.get("used_on"), "used_on")
    if batch is not None and batch.harvest_date and used_on > batch.harvest_date:
        raise ValidationFailed(
            "使用日期晚于该批次的采收日期。",
            "The use date is after the batch's harvest date.",
            code="used_after_harvest",
        )
    entry = InputUse(
        producer_id=producer_id,
        batch_id=batch.id if batch else None,
        product_id=product.id,
        base_id=values.get("base_id") if isinstance(values.get("base_id"), int) else None,
        kind=kind,
        substance=_field(values, "substance", 100),
        product_name=_field(values, "product_name", 100, required=False),
        registration_no=_field(values, "registration_no", 40, required=False),
        dose=_field(values, "dose", 100),
        method=_field(values, "method", 100),
        used_on=used_on,
        operator=_field(values, "operator", 100),
        interval_days=_interval(values.get("interval_days")),
        recorded_by=recorded_by[:100],
    )
    session.add(entry)
    session.flush()
    return entry


def _previous_harvest(
    session: Session, product_id: int, before: date, batch_id: int | None
) -> date | None:
    query = select(col(Batch.harvest_date)).where(
        Batch.product_id == product_id,
        col(Batch.harvest_date).is_not(None),
        col(Batch.harvest_date) < before,
    )
    if batch_id is not None:
        query = query.where(Batch.id != batch_id)
    found: date | None = session.exec(query.order_by(col(Batch.harvest_date).desc())).first()
    return found


def entries_for(
    session: Session, product_id: int | None, batch_id: int | None, harvest: date
) -> list[InputUse]:
    """The entries behind a harvest: the batch's own, and the product's since its last harvest."""
    entries: list[InputUse] = []
    if batch_id is not None:
        entries += session.exec(select(InputUse).where(InputUse.batch_id == batch_id)).all()
    if product_id is not None:
        since = _previous_harvest(session, product_id, harvest, batch_id)
        query = select(InputUse).where(
            InputUse.product_id == product_id,
            col(InputUse.batch_id).is_(None),
            col(InputUse.used_on) <= harvest,
        )
        if since is not None:
            query = query.where(col(InputUse.used_on) > since)
        entries += session.exec(query).all()
    return sorted(entries, key=lambda e: (e.used_on, e.id or 0))


def interval_entries_for(
    session: Session, product_id: int | None, batch_id: int | None, harvest: date
) -> list[InputUse]:
    """The entries whose interval may still run on `harvest`: the batch's own, and every entry
    on the product used on or before it, however many harvests came in between.

    A cucumber is picked every day: a spray on Monday with a 7-day interval rules out
    Tuesday's harvest and Wednesday's too, though Tuesday's was "the previous harvest" that
    `entries_for` counts from. An entry dated the day of the previous harvest may have come
    after it. So the interval check looks back as far as any interval can reach.
    """
    entries: list[InputUse] = []
    if batch_id is not None:
        entries += session.exec(select(InputUse).where(InputUse.batch_id == batch_id)).all()
    if product_id is not None:
        entries += session.exec(
            select(InputUse).where(
                InputUse.product_id == product_id,
                col(InputUse.batch_id).is_(None),
                col(InputUse.used_on) <= harvest,
                col(InputUse.used_on) >= harvest - timedelta(days=MAX_INTERVAL_DAYS),
            )
        ).all()
    return sorted(entries, key=lambda e: (e.used_on, e.id or 0))


def crop_groups_of(product: Product | None, product_name: str = "") -> set[str]:
    """The crop or animal groups (蔬菜, 瓜果, 茶叶, 菌类, 畜禽 …) a product belongs to."""
    rules = crop_group_rules()
    groups: set[str] = set()
    if product is not None:
        groups.update(rules["categories"].get(product.category, []))
    name = product.name if product is not None else product_name
    for keyword, extra in rules["name_keywords"].items():
        if keyword in name:
            groups.update(extra)
    return groups


def is_animal(groups: set[str]) -> bool:
    return bool(groups & ANIMAL_GROUPS)


def records_for_producer(session: Session, producer_id: int, limit: int = 200) -> list[InputUse]:
    return list(
        session.exec(
            select(InputUse)
            .where(InputUse.producer_id == producer_id)
            .order_by(col(InputUse.used_on).desc(), col(InputUse.id).desc())
            .limit(limit)
        ).all()
    )
