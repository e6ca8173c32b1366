"""Bulk import of producers from CSV or XLSX, with a per-row report in Chinese.

Each row is checked like a form: a bad row is reported and skipped, a good row is
registered, and a row that matches a registered producer (credit code, ID number, or
name and phone) is reported as already registered, so running a file twice adds nothing.
Headers may be Chinese or English (see COLUMNS); the first sheet of a workbook is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import Session

from traceability.audit import record_audit
from traceability.auth.tokens import Principal
from traceability.errors import DomainError, ValidationFailed
from traceability.models.producer import PRODUCER_KIND_ZH, ProducerKind
from traceability.registry.pii import IdNumberVault
from traceability.registry.scope import township_of_region
from traceability.registry.service import (
    ProducerInput,
    ProducerInvalid,
    check_producer,
    find_duplicates,
    register_producer,
)
from traceability.translatable import N_

COLUMNS: dict[str, tuple[str, ...]] = {
    "kind": ("主体类型", "类型", "kind"),
    "name": ("名称", "主体名称", "生产主体名称", "name"),
    "uscc": ("统一社会信用代码", "信用代码", "uscc"),
    "id_number": ("身份证号", "身份证号码", "id_number"),
    "contact_name": ("联系人", "负责人", "法定代表人", "contact_name", "contact"),
    "phone": ("联系电话", "电话", "手机号", "phone"),
    "division_code": ("行政区划代码", "区划代码", "division_code"),
    "address": ("地址", "详细地址", "address"),
}
KIND_WORDS: dict[str, str] = {
    **{kind.value: kind.value for kind in ProducerKind},
    **{label: kind.value for kind, label in PRODUCER_KIND_ZH.items()},
    "企业": ProducerKind.ENTERPRISE.value,
    "合作社": ProducerKind.COOPERATIVE.value,
    "散户": ProducerKind.SMALLHOLDER.value,
    "收购单位": ProducerKind.PURCHASER.value,
    "收购商": ProducerKind.PURCHASER.value,
}
STATUS_ZH = {"created": N_("已导入"), "duplicate": N_("已登记，未重复导入"), "error": N_("未导入")}


@dataclass(frozen=True)
class RowMessage:
    """Why a row was not imported, in both languages: the page says it in its own."""

    zh: str
    en: str


@dataclass
class RowOutcome:
    row: int  # the line or sheet row a person sees, header = 1
    status: str  # created | duplicate | error
    name: str = ""
    producer_id: int | None = None
    messages: list[RowMessage] = field(default_factory=list)

    def text(self, language: str = "zh_CN") -> str:
        """The row's messages in `language` (an English page gets English)."""
        if language == "en":
            return "; ".join(m.en for m in self.messages)
        return "；".join(m.zh for m in self.messages)


@dataclass
class ImportReport:
    outcomes: list[RowOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self, language: str = "zh_CN") -> str:
        rows, created = len(self.outcomes), self.count("created")
        duplicate, error = self.count("duplicate"), self.count("error")
        if language == "en":
            return (
                f"{rows} rows: {created} imported, {duplicate} already registered and skipped,"
                f" {error} with errors."
            )
        return f"共{rows}行：导入{created}行，已登记跳过{duplicate}行，错误{error}行。"

    def errors_csv(self) -> str:
        """The rows that need attention, for a person to fix and import again.

        In Chinese, as the import file's own columns are: the file goes back to whoever
        keeps the producer list.
        """
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["行号", "名称", "结果", "说明"])
        for o in self.outcomes:
            if o.status != "created":
                writer.writerow([o.row, o.name, STATUS_ZH[o.status], o.text()])
        return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets turn long digit strings into numbers
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def _header_map(headers: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        wanted = header.strip().lower()
        for name, words in COLUMNS.items():
            if wanted in {w.lower() for w in words} and name not in found:
                found[name] = index
    missing = [COLUMNS[n][0] for n in ("kind", "name") if n not in found]
    if missing:
        raise ValidationFailed(
            f"表头缺少必需的列：{'、'.join(missing)}。可用列："
            + "、".join(w[0] for w in COLUMNS.values()),
            "The header lacks required columns: kind and name.",
            code="import_header",
        )
    return found


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        "无法识别文件编码，请另存为 UTF-8 CSV 或 XLSX。",
        "Unknown file encoding; save as UTF-8 CSV or XLSX.",
        code="import_encoding",
    )


def read_rows(data: bytes, filename: str) -> tuple[int, Iterator[tuple[int, dict[str, str]]]]:
    """The number of data rows and an iterator of (row number, field -> text)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ValidationFailed(
                "无法读取该 XLSX 文件。", "The XLSX file cannot be read.", code="import_file"
            ) from exc
        table = [[_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    elif suffix in {".csv", ".txt"}:
        table = [[_text(c) for c in row] for row in csv.reader(io.StringIO(_decode(data)))]
    else:
        raise ValidationFailed(
            "仅支持 CSV 或 XLSX 文件。",
            "Only CSV and XLSX files are supported.",
            code="import_type",
        )
    if not table:
        raise ValidationFailed("文件为空。", "The file is empty.", code="import_empty")
    columns = _header_map(table[0])
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if any(row)]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, row in body:
            yield number, {name: (row[i] if i < len(row) else "") for name, i in columns.items()}

    return len(body), rows()


def import_producers(
    session: Session,
    rows: Iterator[tuple[int, dict[str, str]]],
    vault: IdNumberVault,
    *,
    principal: Principal | None = None,
    township_allowed: Callable[[int | None], bool] | None = None,
    on_row: Callable[[RowOutcome], None] | None = None,
    source: str = "",
) -> ImportReport:
    """Register the good rows; each in its own savepoint, so one bad row spoils nothing."""
    report = ImportReport()
    for number, fields in rows:
        outcome = _import_row(session, number, fields, vault, principal, township_allowed)
        report.outcomes.append(outcome)
        if on_row is not None:
            on_row(outcome)
    record_audit(
        session,
        principal,
        "producer.import",
        object_type="import",
        object_id=source[:64],
        after={s: report.count(s) for s in ("created", "duplicate", "error")},
    )
    return report


def _import_row(
    session: Session,
    number: int,
    fields: dict[str, str],
    vault: IdNumberVault,
    principal: Principal | None,
    township_allowed: Callable[[int | None], bool] | None,
) -> RowOutcome:
    outcome = RowOutcome(number, "error", name=fields.get("name", ""))
    kind_word = fields.get("kind", "").strip()
    data = ProducerInput(**{**fields, "kind": KIND_WORDS.get(kind_word, kind_word)})
    try:
        checked = check_producer(session, data)
    except ProducerInvalid as exc:
        outcome.messages = [RowMessage(p.message_zh, p.message_en) for p in exc.problems]
        return outcome
    if township_allowed is not None and not township_allowed(
        township_of_region(session, checked.region_id)
    ):
        outcome.messages = [
            RowMessage(
                "该主体不在您管辖的乡镇内（请核对行政区划代码）。",
                "This producer is not in a township you manage (check the region code).",
            )
        ]
        return outcome
    duplicates = find_duplicates(session, checked, vault)
    if duplicates:
        first = duplicates[0]
        registered = first.producer
        outcome.status, outcome.producer_id = "duplicate", registered.id
        outcome.messages = [
            RowMessage(
                f"与已登记的“{registered.name}”（编号{registered.id}）{first.why_zh}",
                f"Registered already as “{registered.name}” (#{registered.id}): {first.why_en}",
            )
        ]
        return outcome
    try:
        with session.begin_nested():
            producer = register_producer(session, checked, vault, principal=principal)
    except DomainError as exc:
        outcome.messages = [RowMessage(exc.message_zh, exc.message_en)]
        return outcome
    outcome.status, outcome.producer_id = "created", producer.id
    return outcome


def read_upload(
    stream: BinaryIO, filename: str
) -> tuple[int, Iterator[tuple[int, dict[str, str]]]]:
    return read_rows(stream.read(), filename)
