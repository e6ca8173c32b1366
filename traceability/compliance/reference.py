"""Reference lists (banned pesticides, veterinary drugs, illegal additives, interval defaults).

The package ships them as versioned files in `traceability/data/reference/`; the first
use loads each into its table as revision 1, and every admin edit adds a revision. A
decision names the revision it used ("pesticide 2026.1 r3"), so an edit changes the
next decision and never a recorded one.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from traceability.errors import NotFound, ValidationFailed
from traceability.models.compliance import (
    IntervalDefault,
    ReferenceKind,
    ReferenceRevision,
    ReferenceSubstance,
)
from traceability.models.types import utcnow
from traceability.translatable import N_

KIND_ZH = {
    ReferenceKind.PESTICIDE: N_("禁限用农药名录"),
    ReferenceKind.VETERINARY: N_("食品动物禁用兽药名录"),
    ReferenceKind.ADDITIVE: N_("非法添加物名录"),
    ReferenceKind.INTERVAL: N_("安全间隔期/休药期默认值"),
}
SUBSTANCE_KINDS = (ReferenceKind.PESTICIDE, ReferenceKind.VETERINARY, ReferenceKind.ADDITIVE)


def _data_file(name: str) -> str:
    return (
        resources.files("traceability.data").joinpath("reference").joinpath(name).read_text("utf-8")
    )


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_data_file("manifest.json"))
    return data


@lru_cache(maxsize=1)
def crop_group_rules() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_data_file("crop_groups.json"))
    return data


@dataclass(frozen=True)
class ListVersion:
    kind: str
    file_version: str
    revision: int
    source: str

    @property
    def label(self) -> str:
        return f"{self.kind} {self.file_version} r{self.revision}"


def _crop_groups(text: str) -> list[str]:
    rules = crop_group_rules()
    lowered = text.strip().lower()
    if any(lowered.startswith(m.lower()) for m in rules["all_food_crops_markers"]):
        return ["*"]
    return [part.strip() for part in text.split(";") if part.strip()]


def _optional_date(text: str) -> date | None:
    return date.fromisoformat(text) if text.strip() else None


def _rows_from_file(kind: ReferenceKind) -> list[dict[str, str]]:
    entry = manifest()["lists"][kind.value]
    return list(csv.DictReader(io.StringIO(_data_file(entry["file"]))))


def _substance_from_row(kind: ReferenceKind, row: dict[str, str]) -> ReferenceSubstance:
    scope = (row.get("scope") or "all").strip()
    scope_text = (
        row.get("crops_or_uses") or row.get("class") or row.get("where_found") or ""
    ).strip()
    return ReferenceSubstance(
        kind=kind.value,
        substance_zh=row["substance_zh"].strip(),
        substance_en=(row.get("substance_en") or "").strip(),
        scope=scope,
        crop_groups=_crop_groups(scope_text) if scope == "crops" else [],
        scope_text=scope_text,
        except_methods=(row.get("except_methods") or "").strip(),
        effective_from=_optional_date(row.get("effective_from") or ""),
        source=row["source"].strip(),
        verified=(row.get("verified") or "check").strip(),
    )


def _load_kind(session: Session, kind: ReferenceKind) -> None:
    entry = manifest()["lists"][kind.value]
    session.add(
        ReferenceRevision(
            kind=kind.value,
            revision=1,
            file_version=entry["version"],
            source=entry["source"][:500],
            note=f"loaded from {entry['file']} ({entry['date']})",
            actor="package",
        )
    )
    session.flush()  # the unique (kind, revision) row claims the load before the rows
    for row in _rows_from_file(kind):
        if kind == ReferenceKind.INTERVAL:
            session.add(
                IntervalDefault(
                    substance=row["substance"].strip(),
                    applies_to=row["applies_to"].strip(),
                    days=int(row["days"]),
                    source=row["source"].strip(),
                    verified=(row.get("verified") or "check").strip(),
                )
            )
        else:
            session.add(_substance_from_row(kind, row))
    session.flush()


def ensure_loaded(session: Session) -> None:
    """Load each shipped list that is not in the database yet (idempotent, race-safe)."""
    loaded = set(session.exec(select(ReferenceRevision.kind).distinct()).all())
    for kind in ReferenceKind:
        if kind.value in loaded:
            continue
        savepoint = session.begin_nested()
        try:
            _load_kind(session, kind)
        except IntegrityError:
            savepoint.rollback()  # a concurrent first use loaded it
        else:
            savepoint.commit()


def current_version(session: Session, kind: ReferenceKind) -> ListVersion:
    ensure_loaded(session)
    record = session.exec(
        select(ReferenceRevision)
        .where(ReferenceRevision.kind == kind.value)
        .order_by(col(ReferenceRevision.revision).desc())
    ).first()
    assert record is not None
    first = session.exec(
        select(ReferenceRevision.source).where(
            ReferenceRevision.kind == kind.value, ReferenceRevision.revision == 1
        )
    ).one()
    return ListVersion(kind.value, record.file_version, record.revision, first)


def revisions(session: Session, kind: ReferenceKind) -> list[ReferenceRevision]:
    ensure_loaded(session)
    return list(
        session.exec(
            select(ReferenceRevision)
            .where(ReferenceRevision.kind == kind.value)
            .order_by(col(ReferenceRevision.revision).desc())
        ).all()
    )


def substances(
    session: Session, kind: ReferenceKind, *, active_only: bool = True
) -> list[ReferenceSubstance]:
    ensure_loaded(session)
    query = select(ReferenceSubstance).where(ReferenceSubstance.kind == kind.value)
    if active_only:
        query = query.where(col(ReferenceSubstance.active).is_(True))
    return list(session.exec(query.order_by(col(ReferenceSubstance.id))).all())


def interval_defaults(session: Session, *, active_only: bool = True) -> list[IntervalDefault]:
    ensure_loaded(session)
    query = select(IntervalDefault)
    if active_only:
        query = query.where(col(IntervalDefault.active).is_(True))
    return list(session.exec(query.order_by(col(IntervalDefault.id))).all())


def _bump(session: Session, kind: ReferenceKind, note: str, actor: str) -> ListVersion:
    """Every admin edit is a new revision of the list it touched."""
    current = current_version(session, kind)
    highest = session.exec(
        select(func.max(ReferenceRevision.revision)).where(ReferenceRevision.kind == kind.value)
    ).one()
    session.add(
        ReferenceRevision(
            kind=kind.value,
            revision=int(highest or 0) + 1,
            file_version=current.file_version,
            source=current.source[:500],
            note=note[:300],
            actor=actor[:100],
        )
    )
    session.flush()
    return current_version(session, kind)


def text_field(
    values: dict[str, Any],
    name: str,
    limit: int,
    *,
    required: bool = False,
    label_zh: str | None = None,
) -> str:
    """A stripped text field of a submitted form or JSON body, with a bilingual refusal."""
    value = values.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise ValidationFailed(
            f"字段 {name} 必须是不超过 {limit} 字的文本。",
            f"Field {name} must be text of at most {limit} characters.",
            code="invalid_field",
        )
    if required and not value.strip():
        what = label_zh or f" {name} "
        raise ValidationFailed(f"请填写{what}。", f"{name} is required.", code="invalid_field")
    return value.strip()


def _substance_values(values: dict[str, Any], target: ReferenceSubstance) -> None:
    target.substance_zh = text_field(values, "substance_zh", 200, required=True)
    target.substance_en = text_field(values, "substance_en", 200)
    scope = text_field(values, "scope", 8) or "all"
    if scope not in {"all", "crops"}:
        raise ValidationFailed(
            "范围必须是 all（全面禁用）或 crops（限定作物）。",
            "Scope must be 'all' or 'crops'.",
            code="invalid_field",
        )
    target.scope = scope
    target.scope_text = text_field(values, "crops", 300)
    target.crop_groups = _crop_groups(target.scope_text) if scope == "crops" else []
    if scope == "crops" and not target.crop_groups:
        raise ValidationFailed(
            "限定作物的条目须列出作物类别（以 ; 分隔）。",
            "A crop-scoped entry needs its crop groups (separated by ';').",
            code="invalid_field",
        )
    target.except_methods = text_field(values, "except_methods", 100)
    effective = text_field(values, "effective_from", 10)
    try:
        target.effective_from = _optional_date(effective)
    except ValueError:
        raise ValidationFailed(
            "生效日期格式应为 YYYY-MM-DD。",
            "effective_from must be YYYY-MM-DD.",
            code="invalid_field",
        ) from None
    target.source = text_field(values, "source", 200, required=True)
    verified = text_field(values, "verified", 8) or "check"
    if verified not in {"yes", "check"}:
        raise ValidationFailed(
            "核对状态必须是 yes 或 check。",
            "verified must be 'yes' or 'check'.",
            code="invalid_field",
        )
    target.verified = verified
    if "active" in values:
        target.active = bool(values["active"])
    target.updated_at = utcnow()


def _interval_values(values: dict[str, Any], target: IntervalDefault) -> None:
    target.substance = text_field(values, "substance", 100, required=True)
    target.applies_to = text_field(values, "applies_to", 100, required=True)
    days = values.get("days")
    if isinstance(days, str) and days.strip().isdecimal():
        days = int(days)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
        raise ValidationFailed(
            "天数必须是 0–3650 的整数。",
            "days must be an integer from 0 to 3650.",
            code="invalid_field",
        )
    target.days = days
    target.source = text_field(values, "source", 200, required=True)
    target.verified = text_field(values, "verified", 8) or "check"
    if "active" in values:
        target.active = bool(values["active"])
    target.updated_at = utcnow()


def add_entry(
    session: Session, kind: ReferenceKind, values: dict[str, Any], *, actor: str
) -> tuple[ReferenceSubstance | IntervalDefault, ListVersion]:
    """Add a row to a list (an admin action); returns the row and the list's new version."""
    row: ReferenceSubstance | IntervalDefault
    if kind == ReferenceKind.INTERVAL:
        row = IntervalDefault(substance="", applies_to="", days=0, source="")
        _interval_values(values, row)
        name = row.substance
    else:
        row = ReferenceSubstance(kind=kind.value, substance_zh="", source="")
        _substance_values(values, row)
        name = row.substance_zh
    session.add(row)
    session.flush()
    return row, _bump(session, kind, f"added {name}", actor)


def update_entry(
    session: Session, kind: ReferenceKind, entry_id: int, values: dict[str, Any], *, actor: str
) -> tuple[ReferenceSubstance | IntervalDefault, ListVersion]:
    """Change (or deactivate, with active=false) a row; unchanged fields keep their value."""
    row: ReferenceSubstance | IntervalDefault | None
    if kind == ReferenceKind.INTERVAL:
        row = session.get(IntervalDefault, entry_id)
        if row is not None:
            merged = row.model_dump() | values
            _interval_values(merged, row)
            name = row.substance
    else:
        row = session.get(ReferenceSubstance, entry_id)
        if row is not None and row.kind == kind.value:
            merged = row.model_dump() | {"crops": row.scope_text} | values
            merged["effective_from"] = str(merged.get("effective_from") or "")
            _substance_values(merged, row)
            name = row.substance_zh
        else:
            row = None
    if row is None:
        raise NotFound("找不到该名录条目。", "No such reference entry.", code="reference_not_found")
    session.add(row)
    session.flush()
    state = "" if row.active else " (deactivated)"
    return row, _bump(session, kind, f"changed {name}{state}", actor)
