"""The producer registry (生产主体名录): register, edit, suspend producers and their bases.

Pages, the import command and the API all call these functions; each write appends an
audit entry in the same transaction. The caller authorises (traceability.auth.policy);
these functions decide whether the data is acceptable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, col, select

from traceability.audit import record_audit, snapshot
from traceability.auth.tokens import Principal
from traceability.db import record_by_id
from traceability.errors import Conflict, DomainError, NotFound, ValidationFailed
from traceability.models import (
    AreaUnit,
    Producer,
    ProducerKind,
    ProducerStatus,
    ProductionBase,
    Region,
)
from traceability.models.types import utcnow
from traceability.registry import validators
from traceability.registry.pii import IdNumberVault

AUDITED_FIELDS = (
    "kind",
    "name",
    "uscc",
    "id_number_masked",
    "contact_name",
    "phone",
    "division_code",
    "region_id",
    "address",
    "status",
    "status_reason",
    "check_override_reason",
)
BASE_FIELDS = ("producer_id", "name", "location", "area", "area_unit", "region_id", "active")
# kinds registered under a credit code; the others may use an ID number instead
NEEDS_USCC = {ProducerKind.ENTERPRISE, ProducerKind.COOPERATIVE}
NEEDS_ID_NUMBER = {ProducerKind.SMALLHOLDER}


@dataclass
class ProducerInput:
    """What a person typed (form, import row): raw text, checked by `check_producer`."""

    kind: str
    name: str
    uscc: str = ""
    id_number: str = ""
    contact_name: str = ""
    phone: str = ""
    division_code: str = ""
    address: str = ""


@dataclass(frozen=True)
class Problem:
    field: str
    message_zh: str
    message_en: str
    overridable: bool = False


@dataclass(frozen=True)
class Duplicate:
    """A registered producer that looks like the one being registered, and why."""

    producer: Producer
    why_zh: str
    why_en: str


class ProducerInvalid(ValidationFailed):
    """One or more fields failed; `problems` says which and why, in Chinese and English."""

    code = "producer_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "；".join(p.message_zh for p in problems),
            "; ".join(p.message_en for p in problems),
            details={"problems": [p.__dict__ for p in problems]},
        )
        self.problems = problems

    @property
    def overridable(self) -> bool:
        return all(p.overridable for p in self.problems)


@dataclass
class CheckedProducer:
    kind: str
    name: str
    uscc: str | None
    id_number: str | None
    contact_name: str | None
    phone: str | None
    division_code: str | None
    region_id: int | None
    address: str | None
    override_reason: str | None = None
    failed_checks: list[Problem] = field(default_factory=list)


def _clean(text: str | None) -> str:
    return (text or "").strip()


def region_for_code(session: Session, code: str | None) -> Region | None:
    """The region with this code; a current row before a retired one."""
    if not code:
        return None
    rows = session.exec(select(Region).where(Region.code == code)).all()
    rows = sorted(rows, key=lambda r: (r.retired, -r.code_year))
    return rows[0] if rows else None


def _try(problems: list[Problem], name: str, check, raw: str) -> str | None:  # type: ignore[no-untyped-def]
    if not raw:
        return None
    try:
        return str(check(raw))
    except validators.CheckFailed as exc:
        problems.append(Problem(name, exc.message_zh, exc.message_en, overridable=True))
        return validators._compact(raw)
    except DomainError as exc:
        problems.append(Problem(name, exc.message_zh, exc.message_en))
        return None


def check_producer(
    session: Session,
    data: ProducerInput,
    *,
    override_reason: str | None = None,
    may_override: bool = False,
) -> CheckedProducer:
    """Normalise and check every field at once, so a person sees all problems together.

    A failed check character passes only with `override_reason` from someone who
    `may_override`; then the reason is kept on the record and in the audit log.
    """
    problems: list[Problem] = []
    kind, name = _clean(data.kind), _clean(data.name)
    if kind not in {k.value for k in ProducerKind}:
        problems.append(Problem("kind", f"主体类型“{kind}”无效。", f"Unknown kind {kind!r}."))
    if not name or len(name) > 200:
        problems.append(Problem("name", "名称不能为空。", "The name is required."))
    uscc = _try(problems, "uscc", validators.normalise_uscc, _clean(data.uscc))
    id_number = _try(problems, "id_number", validators.normalise_id_number, _clean(data.id_number))
    phone = _try(problems, "phone", validators.normalise_phone, _clean(data.phone))
    division = _try(
        problems, "division_code", validators.normalise_division_code, _clean(data.division_code)
    )
    if kind in NEEDS_USCC and not _clean(data.uscc):
        problems.append(
            Problem("uscc", "企业和合作社须填写统一社会信用代码。", "A credit code is required.")
        )
    if kind in NEEDS_ID_NUMBER and not _clean(data.id_number):
        problems.append(
            Problem("id_number", "农户须填写身份证号。", "A smallholder needs an ID number.")
        )
    if kind not in NEEDS_USCC | NEEDS_ID_NUMBER and not (data.uscc or data.id_number).strip():
        problems.append(
            Problem(
                "uscc",
                "须填写统一社会信用代码或身份证号。",
                "A credit code or an ID number is required.",
            )
        )
    if not _clean(data.phone):
        problems.append(Problem("phone", "联系电话不能为空。", "A contact phone is required."))
    reason = _clean(override_reason)
    failed_checks = [p for p in problems if p.overridable]
    if failed_checks and reason and may_override:
        problems = [p for p in problems if not p.overridable]
    elif failed_checks and reason:
        problems.append(
            Problem(
                "override", "仅监管人员可放行校验失败的号码。", "Only supervisors may override."
            )
        )
    if problems:
        raise ProducerInvalid(problems)
    region = region_for_code(session, division)
    return CheckedProducer(
        kind=kind,
        name=name,
        uscc=uscc,
        id_number=id_number,
        contact_name=_clean(data.contact_name)[:100] or None,
        phone=phone,
        division_code=division,
        region_id=region.id if region else None,
        address=_clean(data.address)[:300] or None,
        override_reason=reason if failed_checks else None,
        failed_checks=failed_checks,
    )


def find_duplicates(
    session: Session,
    checked: CheckedProducer,
    vault: IdNumberVault,
    *,
    exclude_id: int | None = None,
) -> list[Duplicate]:
    """Registered producers that look like this one: same credit code, ID number, or name+phone."""
    found: dict[int, Duplicate] = {}

    def add(query, why_zh: str, why_en: str) -> None:  # type: ignore[no-untyped-def]
        for producer in session.exec(query).all():
            if producer.id != exclude_id and producer.id not in found:
                found[producer.id or 0] = Duplicate(producer, why_zh, why_en)

    if checked.uscc:
        add(
            select(Producer).where(Producer.uscc == checked.uscc),
            "统一社会信用代码相同",
            "same unified social credit code",
        )
    if checked.id_number:
        digest = vault.digest(checked.id_number)
        add(
            select(Producer).where(Producer.id_number_digest == digest),
            "身份证号相同",
            "same ID number",
        )
    if checked.phone:
        add(
            select(Producer).where(Producer.name == checked.name, Producer.phone == checked.phone),
            "名称和电话相同",
            "same name and phone",
        )
    return list(found.values())


def _refuse_duplicates(duplicates: list[Duplicate]) -> None:
    if duplicates:
        first = duplicates[0]
        producer = first.producer
        raise Conflict(
            f"与已登记的生产主体“{producer.name}”（编号{producer.id}）重复：{first.why_zh}。",
            f"Duplicate of registered producer #{producer.id} ({first.why_en}).",
            code="producer_duplicate",
            details={"duplicates": [d.producer.id for d in duplicates]},
        )


def _apply(producer: Producer, checked: CheckedProducer, vault: IdNumberVault) -> None:
    producer.kind = checked.kind
    producer.name = checked.name
    producer.uscc = checked.uscc
    producer.contact_name = checked.contact_name
    producer.phone = checked.phone
    if checked.division_code or producer.id is None:
        # no code given keeps the region a record already has (set by a kiosk, say)
        producer.division_code = checked.division_code
        producer.region_id = checked.region_id
    producer.address = checked.address
    producer.check_override_reason = checked.override_reason
    if checked.id_number:
        producer.id_number_encrypted = vault.encrypt(checked.id_number)
        producer.id_number_digest = vault.digest(checked.id_number)
        producer.id_number_masked = validators.mask_id_number(checked.id_number)
    else:
        producer.id_number_encrypted = producer.id_number_digest = producer.id_number_masked = None


def _audit_override(
    session: Session, principal: Principal | None, producer: Producer, checked: CheckedProducer
) -> None:
    if checked.override_reason:
        record_audit(
            session,
            principal,
            "producer.check_override",
            object_type="producer",
            object_id=producer.id,
            after={"failed": [p.field for p in checked.failed_checks]},
            reason=checked.override_reason,
        )


def register_producer(
    session: Session,
    checked: CheckedProducer,
    vault: IdNumberVault,
    *,
    principal: Principal | None = None,
    now: datetime | None = None,
) -> Producer:
    """Add a checked producer to the registry, refusing duplicates."""
    _refuse_duplicates(find_duplicates(session, checked, vault))
    now = now or utcnow()
    producer = Producer(kind=checked.kind, name=checked.name, created_at=now, updated_at=now)
    _apply(producer, checked, vault)
    session.add(producer)
    session.flush()
    record_audit(
        session,
        principal,
        "producer.create",
        object_type="producer",
        object_id=producer.id,
        after=snapshot(producer, AUDITED_FIELDS),
    )
    _audit_override(session, principal, producer, checked)
    return producer


def require_placement(
    session: Session, principal: Principal, division_code: str | None, producer_id: int | None
) -> None:
    """A supervisor registers or moves producers only inside its own townships."""
    from traceability.auth import policy
    from traceability.registry.scope import township_of_region

    region = region_for_code(session, division_code)
    region_id = region.id if region else None
    if region_id is None and not division_code and producer_id is not None:
        region_id = get_producer(session, producer_id).region_id  # the region stays
    policy.require_township(principal, "producer.create", township_of_region(session, region_id))


def get_producer(session: Session, producer_id: int) -> Producer:
    producer = record_by_id(session, Producer, producer_id)
    if producer is None:
        raise NotFound("找不到该生产主体。", "No such producer.")
    return producer


def update_producer(
    session: Session,
    producer_id: int,
    checked: CheckedProducer,
    vault: IdNumberVault,
    *,
    keep_id_number: bool = False,
    principal: Principal | None = None,
) -> Producer:
    """Edit a producer; `keep_id_number` leaves the stored (encrypted) number as it is."""
    producer = get_producer(session, producer_id)
    if keep_id_number and producer.id_number_encrypted:
        checked.id_number = vault.decrypt(producer.id_number_encrypted)
    _refuse_duplicates(find_duplicates(session, checked, vault, exclude_id=producer.id))
    before = snapshot(producer, AUDITED_FIELDS)
    _apply(producer, checked, vault)
    producer.updated_at = utcnow()
    session.add(producer)
    session.flush()
    record_audit(
        session,
        principal,
        "producer.update",
        object_type="producer",
        object_id=producer.id,
        before=before,
        after=snapshot(producer, AUDITED_FIELDS),
    )
    _audit_override(session, principal, producer, checked)
    return producer


def set_producer_status(
    session: Session,
    producer_id: int,
    status: ProducerStatus,
    reason: str,
    *,
    principal: Principal | None = None,
) -> Producer:
    """Suspend (暂停) or reactivate a producer; a suspension needs a reason."""
    producer = get_producer(session, producer_id)
    reason = _clean(reason)
    if status == ProducerStatus.SUSPENDED and not reason:
        raise ValidationFailed("暂停须填写原因。", "A suspension needs a reason.", code="reason")
    before = snapshot(producer, ("status", "status_reason"))
    producer.status = status.value
    producer.status_reason = reason[:300] or None
    producer.updated_at = utcnow()
    session.add(producer)
    action = "producer.suspend" if status == ProducerStatus.SUSPENDED else "producer.reactivate"
    record_audit(
        session,
        principal,
        action,
        object_type="producer",
        object_id=producer.id,
        before=before,
        after=snapshot(producer, ("status", "status_reason")),
        reason=reason,
    )
    return producer


def list_producers(
    session: Session,
    *,
    region_ids: set[int] | None = None,
    search: str = "",
    kind: str = "",
    limit: int = 200,
) -> list[Producer]:
    """Producers, optionally limited to regions (a supervisor's townships and villages)."""
    query = select(Producer)
    if region_ids is not None:
        query = query.where(col(Producer.region_id).in_(region_ids or {-1}))
    if search:
        like = f"%{search}%"
        query = query.where(
            col(Producer.name).ilike(like)
            | col(Producer.uscc).ilike(like)
            | col(Producer.phone).ilike(like)
        )
    if kind:
        query = query.where(Producer.kind == kind)
    return list(session.exec(query.order_by(col(Producer.id)).limit(limit)).all())


def producers_visible_to(
    session: Session, principal: Principal, *, search: str = "", kind: str = "", limit: int = 200
) -> list[Producer]:
    """`list_producers` for a caller who may list: a supervisor's townships, else all."""
    from traceability.auth import policy
    from traceability.registry.scope import regions_within

    policy.require_general(principal, "producer.list")
    # the list shows what `policy.allowed` lets the caller read: a supervisor its
    # townships; a rapid test operator, who reads every producer's record (it samples
    # county-wide and has no townships), every producer, not none
    scope = None if principal.role == "rapid_test_operator" else policy.township_scope(principal)
    return list_producers(
        session,
        region_ids=None if scope is None else regions_within(session, scope),
        search=search.strip()[:50],
        kind=kind.strip()[:20],
        limit=limit,
    )


# --- bases (生产基地) ---------------------------------------------------------------------


@dataclass
class BaseInput:
    name: str
    location: str = ""
    area: str = ""
    area_unit: str = AreaUnit.MU.value
    division_code: str = ""


def _checked_base(session: Session, data: BaseInput) -> dict[str, object]:
    problems: list[Problem] = []
    name = _clean(data.name)
    if not name:
        problems.append(Problem("name", "基地名称不能为空。", "The base needs a name."))
    area: Decimal | None = None
    if _clean(data.area):
        try:
            area = Decimal(_clean(data.area))
        except InvalidOperation:
            area = None
        if area is None or not area.is_finite() or area <= 0 or area >= Decimal("1e12"):
            problems.append(
                Problem("area", "面积须为正数。", "The area must be a positive number.")
            )
            area = None
        else:
            area = area.quantize(Decimal("0.01"))
    if data.area_unit not in {u.value for u in AreaUnit}:
        problems.append(Problem("area_unit", "面积单位须为亩或公顷。", "Unit: mu or hectare."))
    division = _try(
        problems, "division_code", validators.normalise_division_code, _clean(data.division_code)
    )
    if problems:
        raise ProducerInvalid(problems)
    region = region_for_code(session, division)
    return {
        "name": name[:200],
        "location": _clean(data.location)[:300],
        "area": area,
        "area_unit": data.area_unit,
        "region_id": region.id if region else None,
    }


def add_base(
    session: Session, producer_id: int, data: BaseInput, *, principal: Principal | None = None
) -> ProductionBase:
    get_producer(session, producer_id)
    base = ProductionBase(producer_id=producer_id, **_checked_base(session, data))  # type: ignore[arg-type]
    session.add(base)
    session.flush()
    record_audit(
        session,
        principal,
        "base.create",
        object_type="production_base",
        object_id=base.id,
        after=snapshot(base, BASE_FIELDS),
    )
    return base


def get_base(session: Session, base_id: int) -> ProductionBase:
    base = record_by_id(session, ProductionBase, base_id)
    if base is None:
        raise NotFound("找不到该基地。", "No such base.")
    return base


def update_base(
    session: Session, base_id: int, data: BaseInput, *, principal: Principal | None = None
) -> ProductionBase:
    base = get_base(session, base_id)
    before = snapshot(base, BASE_FIELDS)
    for name, value in _checked_base(session, data).items():
        setattr(base, name, value)
    base.updated_at = utcnow()
    session.add(base)
    record_audit(
        session,
        principal,
        "base.update",
        object_type="production_base",
        object_id=base.id,
        before=before,
        after=snapshot(base, BASE_FIELDS),
    )
    return base


def bases_of(session: Session, producer_id: int) -> list[ProductionBase]:
    query = select(ProductionBase).where(ProductionBase.producer_id == producer_id)
    return list(session.exec(query.order_by(col(ProductionBase.id))).all())
