"""The intake ledger (进货查验记录): search, export (CSV, XLSX) and retention.

Times are shown in China Standard Time, the time the regulation's records are kept in;
the database stores UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, delete, select

from traceability.beijing_time import CHINA
from traceability.intake.photos import delete_photo
from traceability.intake.service import reason_text
from traceability.models import IntakeRecord
from traceability.models.types import utcnow
from traceability.spreadsheets import table_to_csv, table_to_xlsx

# the page lists the newest lines only (it says so when there are more); the exports hold
# every line the search finds, or are refused past INTAKE_EXPORT_MAX_LINES (config)
PAGE_LIMIT = 500

COLUMNS: list[tuple[str, str]] = [
    ("received_at", "进货查验时间 Time"),
    ("supplier", "供货者 Supplier"),
    ("product", "产品名称 Product"),
    ("quantity", "数量 Quantity"),
    ("unit", "单位 Unit"),
    ("origin", "产地 Origin"),
    ("certificate_number", "合格证编号 Certificate No."),
    ("issuer", "开具者 Issuer"),
    ("issuer_phone", "联系电话 Phone"),
    ("certificate_date", "开具日期 Issue date"),
    ("verdict", "查验结果 Verdict"),
    ("reason", "查验说明 Verdict detail"),
    ("method", "方式 Method"),
    ("serial", "追溯码 Serial"),
    ("inspector", "查验人 Inspector"),
    ("uuid", "记录编号 Record UUID"),
]
# The cells that are codes, in the reader's language. The Chinese file is the regulation's
# record and stays as it always was; `?lang=en` (or the English page) gets the English one.
# The headers say both languages in either, as the recall report's do.
VERDICT_ZH = {
    "genuine": "真品",
    "revoked": "已撤销",
    "not_genuine": "无法验证",
    "other_market": "已被其他市场收货",
    "over_scanned": "重复收货",
    "paper": "纸质合格证",
}
VERDICT_EN = {
    "genuine": "Genuine",
    "revoked": "Revoked",
    "not_genuine": "Not genuine",
    "other_market": "Already received by another market",
    "over_scanned": "Received again",
    "paper": "Paper certificate",
}
METHOD_ZH = {"code": "扫码", "paper": "纸质"}
METHOD_EN = {"code": "Code scan", "paper": "Paper"}
SHEET = {"zh": "进货查验记录", "en": "Intake ledger"}


@dataclass
class LedgerQuery:
    market_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    product: str = ""
    supplier: str = ""
    certificate_number: str = ""
    verdict: str = ""


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(), CHINA)


def search(
    session: Session, query: LedgerQuery, *, limit: int = PAGE_LIMIT
) -> Sequence[IntakeRecord]:
    """Newest first; dates are local calendar days, both ends included."""
    statement = select(IntakeRecord)
    if query.market_id is not None:
        statement = statement.where(IntakeRecord.market_id == query.market_id)
    if query.date_from:
        statement = statement.where(
            col(IntakeRecord.received_at) >= _local_midnight_utc(query.date_from)
        )
    if query.date_to:
        statement = statement.where(
            col(IntakeRecord.received_at) < _local_midnight_utc(query.date_to + timedelta(days=1))
        )
    if query.product.strip():
        statement = statement.where(col(IntakeRecord.product).contains(query.product.strip()))
    if query.supplier.strip():
        statement = statement.where(col(IntakeRecord.supplier).contains(query.supplier.strip()))
    if query.certificate_number.strip():
        statement = statement.where(
            col(IntakeRecord.certificate_number).startswith(query.certificate_number.strip())
        )
    if query.verdict.strip():
        statement = statement.where(IntakeRecord.verdict == query.verdict.strip())
    statement = statement.order_by(
        col(IntakeRecord.received_at).desc(), col(IntakeRecord.id).desc()
    )
    return session.exec(statement.limit(limit)).all()


def row(
    record: IntakeRecord,
    language: str = "zh",
    columns: Sequence[tuple[str, str]] = COLUMNS,
) -> list[Any]:
    """One ledger line as export cells, in the order of `columns` (the header's)."""
    english = language == "en"
    verdicts, methods = (VERDICT_EN, METHOD_EN) if english else (VERDICT_ZH, METHOD_ZH)
    local = record.received_at.astimezone(CHINA)
    values: dict[str, Any] = {
        "received_at": local.strftime("%Y-%m-%d %H:%M:%S"),
        "supplier": record.supplier,
        "product": record.product,
        "quantity": float(record.quantity),
        "unit": record.unit,
        "origin": record.origin,
        "certificate_number": record.certificate_number,
        "issuer": record.issuer,
        "issuer_phone": record.issuer_phone,
        "certificate_date": record.certificate_date.isoformat() if record.certificate_date else "",
        "verdict": verdicts.get(record.verdict, record.verdict),
        "reason": reason_text(record, language),
        "method": methods.get(record.method, record.method),
        "serial": record.serial or "",
        "inspector": record.inspector,
        "uuid": record.uuid,
    }
    return [values[name] for name, _ in columns]


def to_csv(
    records: Iterable[IntakeRecord],
    columns: Sequence[tuple[str, str]] = COLUMNS,
    *,
    language: str = "zh",
) -> bytes:
    header = [title for _, title in columns]
    return table_to_csv(header, (row(r, language, columns) for r in records))


def to_xlsx(
    records: Iterable[IntakeRecord],
    columns: Sequence[tuple[str, str]] = COLUMNS,
    *,
    language: str = "zh",
) -> bytes:
    header = [title for _, title in columns]
    sheet = SHEET["en" if language == "en" else "zh"]
    return table_to_xlsx(sheet, header, (row(r, language, columns) for r in records))


def purge_expired(
    session: Session, retention_days: int, *, home: str | Path, now: datetime | None = None
) -> int:
    """Delete ledger lines (and their photos) older than the retention period.

    The photos go only once the session's commit has succeeded: a commit that fails keeps
    every line with its photo, and a crash in between leaves only an orphaned file.
    """
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    expired = session.exec(
        select(IntakeRecord.id, IntakeRecord.photo_path).where(
            col(IntakeRecord.received_at) < cutoff
        )
    ).all()
    if expired:
        session.exec(delete(IntakeRecord).where(col(IntakeRecord.received_at) < cutoff))
        session.flush()
        _delete_photos_after_commit(session, home, [photo for _, photo in expired if photo])
    return len(expired)


def _delete_photos_after_commit(session: Session, home: str | Path, photos: list[str]) -> None:
    """Delete `photos` when the session's transaction commits; forget them if it rolls back."""
    pending = list(photos)

    def delete_now(_: Session) -> None:
        while pending:
            delete_photo(home, pending.pop())

    def forget(*_: Any) -> None:
        pending.clear()

    event.listen(session, "after_commit", delete_now, once=True)
    event.listen(session, "after_soft_rollback", forget, once=True)
