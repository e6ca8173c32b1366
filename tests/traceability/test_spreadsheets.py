"""Downloads open as people expect: UTF-8 CSV with a BOM, XLSX, and no cell runs as a formula."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from traceability.spreadsheets import safe_cell, table_to_csv, table_to_xlsx


@pytest.mark.parametrize("text", ["=1+1", "+86 139", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_a_spreadsheet_would_evaluate_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["黄瓜", "a=b", 3, -2.5, None])
def test_other_values_pass_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def test_csv_and_xlsx_carry_the_same_table() -> None:
    header, rows = ["产品", "数量"], [["黄瓜", 3], ["=cmd", -1]]
    text = table_to_csv(header, rows).decode("utf-8")
    assert text == "\ufeff产品,数量\r\n黄瓜,3\r\n'=cmd,-1\r\n"
    sheet = load_workbook(io.BytesIO(table_to_xlsx("表", header, rows)))["表"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["产品", "数量"],
        ["黄瓜", 3],
        ["'=cmd", -1],
    ]
