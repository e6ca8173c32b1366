"""Tables as CSV and XLSX downloads, as people in a county office open them.

CSV is UTF-8 with a byte-order mark (Excel in a Chinese locale then reads it as UTF-8,
not GBK), and every text cell that a spreadsheet would run as a formula is quoted, so a
supplier named `=HYPERLINK(...)` stays text (CSV/formula injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, quoted; anything else unchanged."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def table_to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(header))
    for values in rows:
        writer.writerow([safe_cell(v) for v in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]  # title, header, rows


def table_to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet, written row by row (openpyxl's write-only mode keeps memory flat)."""
    return tables_to_xlsx([(title, header, rows)])


def tables_to_xlsx(sheets: Iterable[Sheet]) -> bytes:
    """A sheet per table, in order; titles cut to Excel's 31 characters."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.append(list(header))
        for values in rows:
            sheet.append([safe_cell(v) for v in values])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
