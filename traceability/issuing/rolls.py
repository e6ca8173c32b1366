"""Pre-printed code rolls (印刷激活): sign and print codes in advance, bind them at issue.

A roll's codes verify as signed but read "not activated" (online, and offline through
the revocation list's pending groups) until a certificate binds them; each code binds
once, and the binding is a guarded UPDATE so two issuers can never take the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, update
from sqlmodel import Session, col, func, select

from traceability.codes import ItemCode as SignedCode
from traceability.codes import (
    ScanError,
    SigningKey,
    new_group_code,
    parse_scanned_text,
    sign_item_codes,
)
from traceability.errors import Conflict, NotFound, ValidationFailed
from traceability.issuing.revocation import note_list_change
from traceability.models import Certificate, ItemCode
from traceability.models.roll import CodeRoll

MAX_ROLL = 1_000_000


@dataclass
class CreatedRoll:
    roll: CodeRoll
    codes: list[SignedCode]


def _unused_group(session: Session) -> str:
    for _ in range(8):
        group = new_group_code()
        taken = session.exec(select(Certificate.id).where(Certificate.group_code == group)).first()
        taken = (
            taken or session.exec(select(CodeRoll.id).where(CodeRoll.group_code == group)).first()
        )
        if taken is None:
            return group
    raise Conflict("无法生成唯一编号，请重试。", "Could not allocate a unique code; retry.")


def create_roll(
    session: Session,
    count: int,
    key: SigningKey,
    *,
    producer_id: int | None = None,
    note: str | None = None,
    keep_codes: bool = True,
    on_codes: Callable[[list[SignedCode]], None] | None = None,
) -> CreatedRoll:
    from traceability.issuing.service import store_item_codes

    if not isinstance(count, int) or not 1 <= count <= MAX_ROLL:
        raise ValidationFailed(
            f"预印码数量须在 1 到 {MAX_ROLL} 之间。",
            f"A roll holds 1 to {MAX_ROLL} codes.",
            code="invalid_roll_size",
        )
    roll = CodeRoll(
        group_code=_unused_group(session),
        size=count,
        kid=key.kid,
        producer_id=producer_id,
        note=note,
    )
    session.add(roll)
    session.flush()
    kept: list[SignedCode] = []
    for chunk in store_item_codes(
        session, None, sign_item_codes(roll.group_code, count, key), roll_id=roll.id
    ):
        if keep_codes:
            kept.extend(chunk)
        if on_codes is not None:
            on_codes(chunk)
    note_list_change(session, f"roll_created:{roll.group_code}")
    from traceability.audit import record_audit

    record_audit(
        session, None, "roll.create", object_type="code_roll", object_id=roll.group_code,
        after={"size": count, "producer_id": producer_id},
    )  # fmt: skip
    return CreatedRoll(roll, kept)


def bind_roll_codes(
    session: Session, certificate: Certificate, texts: list[str]
) -> list[SignedCode]:
    """Activate scanned roll codes for `certificate`, in the order given (seq 1..N)."""
    codes: list[SignedCode] = []
    seen: set[str] = set()
    for text in texts:
        try:
            code = parse_scanned_text(str(text)).code
        except ScanError as exc:
            raise ValidationFailed(
                exc.message_zh, exc.message_en, code="invalid_roll_code"
            ) from exc
        if code.serial in seen:
            raise ValidationFailed(
                "同一个预印码扫了两次。", "The same pre-printed code was scanned twice."
            )
        seen.add(code.serial)
        codes.append(code)
    for seq, code in enumerate(codes, start=1):
        result = session.execute(
            update(ItemCode)
            .where(
                and_(
                    col(ItemCode.serial) == code.serial,
                    col(ItemCode.signature) == code.signature,
                    col(ItemCode.certificate_id).is_(None),
                    col(ItemCode.roll_id).is_not(None),
                )
            )
            .values(certificate_id=certificate.id, seq=seq)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                f"预印码 {code.serial[-6:]} 不存在或已被激活。",
                f"Pre-printed code …{code.serial[-6:]} is unknown or already activated.",
                code="roll_code_unavailable",
            )
    note_list_change(session, f"roll_activated:{certificate.number}")
    return codes


def pending_rolls(session: Session) -> list[tuple[str, list[str]]]:
    """(group, activated item parts) of every roll that still has unbound codes."""
    rows = session.exec(
        select(
            CodeRoll.id,
            CodeRoll.group_code,
            CodeRoll.size,
            func.count(col(ItemCode.certificate_id)),
        )
        .join(ItemCode, col(ItemCode.roll_id) == col(CodeRoll.id))
        .group_by(col(CodeRoll.id), col(CodeRoll.group_code), col(CodeRoll.size))
    ).all()
    pending = []
    for roll_id, group, size, bound in rows:
        if bound >= size:
            continue
        activated = session.exec(
            select(ItemCode.serial).where(
                ItemCode.roll_id == roll_id, col(ItemCode.certificate_id).is_not(None)
            )
        ).all()
        pending.append((group, [serial[10:] for serial in activated]))
    return pending


def get_roll(session: Session, group: str) -> CodeRoll:
    roll = session.exec(select(CodeRoll).where(CodeRoll.group_code == group.upper())).first()
    if roll is None:
        raise NotFound("找不到该预印码卷。", "No such roll.", code="roll_not_found")
    return roll
