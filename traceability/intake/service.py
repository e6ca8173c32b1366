"""Record what enters a market: one checked item code, or one paper certificate.

Each record carries a client-made UUID; recording the same UUID again returns the
first record, so an offline queue that is sent twice still leaves one ledger line.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from traceability.codes.errors import ScanError
from traceability.codes.scanning import parse_scanned_text
from traceability.errors import Conflict, ValidationFailed
from traceability.lookup.service import lookup
from traceability.models import (
    Certificate,
    CertificateStatus,
    IntakeRecord,
    IntakeVerdict,
    ItemCode,
    Market,
)
from traceability.models.intake import ACCEPTED_VERDICTS
from traceability.models.types import utcnow

CLOCK_SKEW = timedelta(minutes=10)  # a scanner's clock may run a little ahead

MESSAGES: dict[str, tuple[str, str]] = {
    IntakeVerdict.GENUINE: ("真品：已收货登记。", "Genuine: received and recorded."),
    IntakeVerdict.REVOKED: (
        "已撤销：该合格证已作废，请勿上架销售。",
        "Revoked: this certificate was withdrawn; do not sell these goods.",
    ),
    IntakeVerdict.NOT_GENUINE: (
        "无法验证：追溯码可能是伪造或被篡改的，请暂扣并上报。",
        "Not genuine: the code may be forged or altered; hold the goods and report.",
    ),
    IntakeVerdict.OTHER_MARKET: (
        "警告：该件商品已被其他市场收货，追溯码可能被复制。",
        "Warning: another market already received this item; the code may be copied.",
    ),
    IntakeVerdict.OVER_SCANNED: (
        "重复收货：本市场已收过这件商品。",
        "Received again: this market already received this item.",
    ),
    IntakeVerdict.PAPER: ("纸质合格证已登记。", "Paper certificate recorded."),
    "malformed": (
        "无法识别：这不是合格证追溯码，请重新扫描。",
        "Not a certificate code: scan again.",
    ),
}


def offline_reasons(english: bool) -> dict[str, str]:
    """What the page says, offline, for each reason the browser's verifier gives: the same
    words the server answers with, so a scan reads alike with and without the network."""
    texts = {code: (zh_full, en_full) for code, (_, _, zh_full, en_full) in REASONS.items()}
    malformed = MESSAGES["malformed"]
    for code in ("malformed", "too_long", "non_canonical", "invalid_part"):
        texts[code] = malformed
    texts["wrong_host"] = (
        "不是本系统的追溯码（网址不对），请核对标签或重新扫描。",
        "Not a code of this service (another address): check the label or scan again.",
    )
    return {code: en if english else zh for code, (zh, en) in texts.items()}


REASONS: dict[str, tuple[str, str, str, str]] = {
    # why a code is not genuine: (short zh, short en) for the ledger, then the full message
    "bad_signature": (
        "伪造或被篡改",
        "forged or altered",
        "签名无效：追溯码是伪造或被篡改的。",
        "The signature does not verify: the code is forged or altered.",
    ),
    "unknown_key": (
        "未知签名密钥",
        "unknown key",
        "签名密钥未知：不是本系统签发的码（可能来自其他地区），或是伪造的。",
        "Unknown signing key: not a code of this service (perhaps another region's), or forged.",
    ),
    "not_issued": (
        "未签发",
        "never issued",
        "本系统从未签发过这个追溯码。",
        "This service never issued this code.",
    ),
    "not_activated": (
        "未激活",
        "not activated",
        "预印追溯码尚未激活（未绑定合格证），不能作为合格证使用。",
        "A pre-printed code not yet activated by a certificate: it does not certify anything.",
    ),
    "key_compromised": (
        "签名密钥已泄露",
        "key compromised",
        "签名密钥已泄露，不能确认该码是真的。",
        "The signing key was compromised: this code cannot be trusted.",
    ),
    "product_mismatch": (
        "产品与合格证不符",
        "product differs",
        "登记的产品与该编号合格证上的产品不符，请核对货物与合格证。",
        "The product entered is not the certificate's product: check the goods and the paper.",
    ),
}


@dataclass
class CodeIntake:
    """One scanned code as a scanner, the intake page or a supermarket system sends it."""

    uuid: str
    text: str
    supplier: str = ""
    inspector: str = ""
    received_at: datetime | None = None
    offline_verdict: str | None = None


@dataclass
class PaperIntake:
    """A certificate from elsewhere: photographed and transcribed (2025 Order fields)."""

    uuid: str
    product: str
    quantity: Decimal
    unit: str
    origin: str
    issuer: str
    phone: str
    certificate_date: date
    supplier: str = ""
    certificate_number: str = ""
    inspector: str = ""
    received_at: datetime | None = None


@dataclass
class IntakeOutcome:
    verdict: str
    record: IntakeRecord | None
    reason: str | None = None
    replayed: bool = False
    previous_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)
    """Codes of `REASONS` the inspector must see even though the record was kept."""

    def to_dict(self) -> dict[str, Any]:
        zh, en = MESSAGES.get(self.verdict, MESSAGES["malformed"])
        body: dict[str, Any] = {
            "verdict": self.verdict,
            "reason": self.reason,
            "message_zh": zh,
            "message_en": en,
            "warnings": [
                {"code": w, "message_zh": REASONS[w][2], "message_en": REASONS[w][3]}
                for w in self.warnings
            ],
            "recorded": self.record is not None,
            "replayed": self.replayed,
            "previous_at": self.previous_at.isoformat() if self.previous_at else None,
        }
        if self.record is not None:
            body["record"] = record_dict(self.record)
        return body


def record_dict(record: IntakeRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "uuid": record.uuid,
        "market_id": record.market_id,
        "method": record.method,
        "verdict": record.verdict,
        "reason": record.reason,
        "reason_zh": reason_text(record, "zh"),
        "reason_en": reason_text(record, "en"),
        "offline_verdict": record.offline_verdict,
        "serial": record.serial,
        "certificate_number": record.certificate_number,
        "supplier": record.supplier,
        "product": record.product,
        "quantity": format_quantity(record.quantity),
        "unit": record.unit,
        "origin": record.origin,
        "issuer": record.issuer,
        "issuer_phone": record.issuer_phone,
        "certificate_date": record.certificate_date.isoformat()
        if record.certificate_date
        else None,
        "has_photo": bool(record.photo_path),
        "inspector": record.inspector,
        "received_at": record.received_at.isoformat(),
        "recorded_at": record.recorded_at.isoformat(),
    }


def reason_text(record: IntakeRecord, language: str = "zh") -> str:
    """Why the record reads as it does, short, for the ledger: forged, unknown key, not
    activated …; a revocation's own reason; empty for a plain genuine receipt."""
    if not record.reason:
        return ""
    texts = REASONS.get(record.reason)
    if texts is None:
        return record.reason  # a revocation's reason, as the recall gave it
    return texts[1] if language == "en" else texts[0]


def format_quantity(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def check_uuid(value: Any) -> str:
    try:
        return str(uuid_module.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise ValidationFailed(
            "每条记录须有客户端生成的 UUID。",
            "Every record needs a client-generated UUID (`uuid`).",
            code="invalid_uuid",
        ) from None


def _when(received_at: datetime | None, now: datetime, retention_days: int) -> datetime:
    """The client's time of the scan, if plausible; otherwise the server's time."""
    if received_at is None or received_at.tzinfo is None:
        return now
    if now - timedelta(days=retention_days) <= received_at <= now + CLOCK_SKEW:
        return received_at
    return now


def _existing(session: Session, market: Market, record_uuid: str) -> IntakeRecord | None:
    record = session.exec(select(IntakeRecord).where(IntakeRecord.uuid == record_uuid)).first()
    if record is not None and record.market_id != market.id:
        raise Conflict(
            "该记录编号已被其他市场使用。",
            "This record UUID belongs to another market; make a new UUID per record.",
            code="uuid_conflict",
        )
    return record


def _replay(record: IntakeRecord) -> IntakeOutcome:
    warnings = ["product_mismatch"] if record.reason == "product_mismatch" else []
    return IntakeOutcome(
        record.verdict, record, reason=record.reason, replayed=True, warnings=warnings
    )


def _save(session: Session, market: Market, record: IntakeRecord) -> IntakeOutcome:
    """Insert; a concurrent insert of the same UUID wins and is returned instead."""
    try:
        with session.begin_nested():
            session.add(record)
        session.flush()
    except IntegrityError:
        existing = _existing(session, market, record.uuid)
        if existing is None:
            raise
        return _replay(existing)
    return IntakeOutcome(record.verdict, record, reason=record.reason)


def item_quantity(cert: Certificate) -> Decimal:
    """One code's share of the certificate's quantity (one package of N)."""
    count = max(cert.item_count, 1)
    return (cert.quantity / count).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def _previous_receipt(session: Session, serial: str) -> IntakeRecord | None:
    return session.exec(
        select(IntakeRecord)
        .where(
            IntakeRecord.serial == serial,
            col(IntakeRecord.verdict).in_(
                [IntakeVerdict.GENUINE.value, IntakeVerdict.OTHER_MARKET.value]
            ),
        )
        .order_by(col(IntakeRecord.id))
    ).first()


def lock_items(
    session: Session, entries: list[CodeIntake], accepted_hosts: set[str] | None
) -> None:
    """Lock the rows of every item these scans name, in one statement, in id order.

    Receiving an item locks its row (`record_code_intake`) so two markets receiving it at
    once are ordered. Two scanners sending the same pile in different orders would take
    those locks in crossing orders and deadlock (PostgreSQL then aborts one of them); taken
    together, up front, in id order (the order the scan counter's flush locks them in,
    `lookup/scans.py`), they queue instead. Unreadable text locks nothing.
    """
    serials = set()
    for entry in entries:
        try:
            serials.add(parse_scanned_text(entry.text, accepted_hosts=accepted_hosts).code.serial)
        except ScanError:
            continue
    if serials:
        session.exec(
            select(ItemCode.id)
            .where(col(ItemCode.serial).in_(sorted(serials)))
            .order_by(col(ItemCode.id))
            .with_for_update()
        ).all()


def record_code_intakes(
    session: Session,
    market: Market,
    entries: list[CodeIntake],
    *,
    database: str,
    accepted_hosts: set[str] | None = None,
    retention_days: int = 730,
) -> list[IntakeOutcome]:
    """Record a scanner's batch of codes in the session's transaction, items locked first."""
    lock_items(session, entries, accepted_hosts)
    return [
        record_code_intake(
            session,
            market,
            entry,
            database=database,
            accepted_hosts=accepted_hosts,
            retention_days=retention_days,
        )
        for entry in entries
    ]


def record_code_intake(
    session: Session,
    market: Market,
    entry: CodeIntake,
    *,
    database: str,
    accepted_hosts: set[str] | None = None,
    retention_days: int = 730,
    now: datetime | None = None,
) -> IntakeOutcome:
    """Verify a scanned code online and write the ledger line (unreadable text is not kept)."""
    record_uuid = check_uuid(entry.uuid)
    existing = _existing(session, market, record_uuid)
    if existing is not None:
        return _replay(existing)
    now = now or utcnow()
    result = lookup(
        session, entry.text, database=database, accepted_hosts=accepted_hosts, record_scan=False
    )
    if result.status == "malformed":
        return IntakeOutcome("malformed", None, reason=result.reason)
    serial = result.parsed.code.serial if result.parsed else None
    previous_at = None
    if result.status == "genuine" and serial:
        # Lock the item's row (PostgreSQL) so two markets receiving it at once are ordered.
        session.exec(select(ItemCode.id).where(ItemCode.serial == serial).with_for_update())
        previous = _previous_receipt(session, serial)
        if previous is None:
            verdict = IntakeVerdict.GENUINE.value
        else:
            previous_at = previous.received_at
            verdict = (
                IntakeVerdict.OVER_SCANNED.value
                if previous.market_id == market.id
                else IntakeVerdict.OTHER_MARKET.value
            )
        reason = None
    elif result.status == "revoked":
        verdict, reason = IntakeVerdict.REVOKED.value, result.reason
    else:
        verdict, reason = IntakeVerdict.NOT_GENUINE.value, result.reason or result.status
    record = IntakeRecord(
        uuid=record_uuid,
        market_id=market.id or 0,
        method="code",
        verdict=verdict,
        reason=(reason or None) and str(reason)[:300],
        offline_verdict=(entry.offline_verdict or None) and entry.offline_verdict[:16],
        serial=serial,
        supplier=entry.supplier.strip()[:200],
        inspector=entry.inspector.strip()[:100],
        received_at=_when(entry.received_at, now, retention_days),
        recorded_at=now,
    )
    cert = result.certificate
    if cert is not None:
        record.certificate_id = cert.id
        record.certificate_number = cert.number
        record.product = cert.product_name
        record.quantity = item_quantity(cert)
        record.unit = cert.unit
        record.origin = cert.origin_text[:300]
        record.issuer = cert.issuer_name[:200]
        record.issuer_phone = cert.issuer_phone
        record.certificate_date = cert.issue_date
        record.supplier = record.supplier or cert.issuer_name[:200]
    outcome = _save(session, market, record)
    outcome.previous_at = previous_at
    return outcome


def record_paper_intake(
    session: Session,
    market: Market,
    entry: PaperIntake,
    *,
    photo_path: str | None,
    retention_days: int = 730,
    now: datetime | None = None,
) -> IntakeOutcome:
    """Keep a transcribed paper certificate; a number issued here links it to recalls."""
    record_uuid = check_uuid(entry.uuid)
    existing = _existing(session, market, record_uuid)
    if existing is not None:
        return _replay(existing)
    now = now or utcnow()
    number = entry.certificate_number.strip()[:64]
    cert = (
        session.exec(select(Certificate).where(Certificate.number == number)).first()
        if number
        else None
    )
    verdict, reason = IntakeVerdict.PAPER.value, None
    mismatch = cert is not None and not same_product(entry.product, cert.product_name)
    if cert is not None and cert.status == CertificateStatus.REVOKED:
        # a withdrawn certificate on paper is as void as its codes: hold the goods
        verdict, reason = IntakeVerdict.REVOKED.value, cert.revoke_reason or "revoked"
    elif mismatch:
        reason = "product_mismatch"
    record = IntakeRecord(
        uuid=record_uuid,
        market_id=market.id or 0,
        method="paper",
        verdict=verdict,
        reason=reason and reason[:300],
        certificate_id=cert.id if cert else None,
        certificate_number=number,
        supplier=(entry.supplier.strip() or entry.issuer.strip())[:200],
        product=entry.product.strip()[:100],
        quantity=entry.quantity,
        unit=entry.unit.strip()[:10],
        origin=entry.origin.strip()[:300],
        issuer=entry.issuer.strip()[:200],
        issuer_phone=entry.phone.strip()[:20],
        certificate_date=entry.certificate_date,
        photo_path=photo_path,
        inspector=entry.inspector.strip()[:100],
        received_at=_when(entry.received_at, now, retention_days),
        recorded_at=now,
    )
    outcome = _save(session, market, record)
    if mismatch and not outcome.replayed:
        outcome.warnings = ["product_mismatch"]
    return outcome


def same_product(entered: str, certified: str) -> bool:
    """Loosely the same product: one name holds the other once spaces and case are gone
    ("黄瓜" and "黄瓜（有机）" are; "西红柿" and "黄瓜" are not)."""
    a, b = ("".join(name.split()).casefold() for name in (entered, certified))
    return not a or not b or a in b or b in a


def paper_intake_from(fields: dict[str, Any]) -> PaperIntake:
    """Validate the transcribed fields the 2025 Order requires on every certificate."""
    missing = [
        name
        for name in ("product", "quantity", "origin", "issuer", "phone", "certificate_date")
        if not str(fields.get(name) or "").strip()
    ]
    if missing:
        raise ValidationFailed(
            "请填写合格证上的全部必填项：" + "、".join(missing),
            "Transcribe every required field of the certificate: " + ", ".join(missing),
            code="paper_fields_required",
            details={"missing": missing},
        )
    try:
        quantity = Decimal(str(fields["quantity"]).strip())
        if not quantity.is_finite() or quantity <= 0 or quantity >= Decimal("1e11"):
            raise InvalidOperation
        quantity = quantity.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValidationFailed(
            "数量须为正数。", "The quantity must be a positive number.", code="invalid_quantity"
        ) from None
    try:
        issued = date.fromisoformat(str(fields["certificate_date"]).strip())
    except ValueError:
        raise ValidationFailed(
            "开具日期格式应为 YYYY-MM-DD。",
            "The issue date must be YYYY-MM-DD.",
            code="invalid_date",
        ) from None
    return PaperIntake(
        uuid=str(fields.get("uuid") or ""),
        product=str(fields["product"]),
        quantity=quantity,
        unit=str(fields.get("unit") or ""),
        origin=str(fields["origin"]),
        issuer=str(fields["issuer"]),
        phone=str(fields["phone"]),
        certificate_date=issued,
        supplier=str(fields.get("supplier") or ""),
        certificate_number=str(fields.get("certificate_number") or ""),
        inspector=str(fields.get("inspector") or ""),
        received_at=parse_time(fields.get("received_at")),
    )


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def received_verdicts() -> list[str]:
    """Verdicts under which goods really entered the market (for recalls and EPCIS)."""
    return [*ACCEPTED_VERDICTS, IntakeVerdict.OTHER_MARKET.value]
