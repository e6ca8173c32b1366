"""Bulk import: exactly the good rows go in, bad rows get a Chinese reason, re-runs add nothing."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from openpyxl import Workbook
from sqlmodel import func, select

from traceability.db import get_engine, session_scope
from traceability.models import AuditEntry, Producer, User

HEADER = ["主体类型", "名称", "统一社会信用代码", "身份证号", "联系人", "联系电话", "行政区划代码"]
ROWS = [
    ["生产企业", "绿源蔬菜有限公司", "91110000600037341L", "", "王经理", "13912345678", "330108"],
    ["合作社", "清河果蔬合作社", "913301083969371640", "", "李社长", "+86 138 1234 5679", ""],
    ["农户", "张秀英", "", "11010519491231002X", "", "0571-87654321", "330108001201"],
    ["农户", "李四", "", "110105194912310021", "", "13612345671", ""],  # bad check digit
    ["生产企业", "无码公司", "", "", "", "13712345670", ""],  # no credit code
    ["外星人", "未知类型", "", "", "", "13712345670", ""],  # unknown kind
    ["家庭农场", "王家农场", "", "", "", "12345", ""],  # bad phone, no id
]
GOOD = {"绿源蔬菜有限公司", "清河果蔬合作社", "张秀英"}


def write_csv(path: Path, rows: list[list[str]] = ROWS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    book.save(path)
    return path


def producers(app: Flask) -> dict[str, Producer]:
    with app.app_context(), session_scope(get_engine()) as session:
        return {p.name: p for p in session.exec(select(Producer)).all()}


def run_import(app: Flask, path: Path, *extra: str) -> tuple[int, str]:
    from traceability.cli import main

    runner = CliRunner()
    env = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "TRACEABILITY_HOME": app.config["TRACEABILITY_HOME"],
    }
    result = runner.invoke(main, ["producers", "import", str(path), *extra], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_exactly_the_good_rows_are_imported_and_bad_rows_reported_in_chinese(
    app: Flask, tmp_path: Path, writer: Callable[[Path], Path]
) -> None:
    path = writer(tmp_path / f"producers{'.csv' if writer is write_csv else '.xlsx'}")
    code, output = run_import(app, path)
    assert set(producers(app)) == GOOD
    assert code == 1  # some rows need attention
    assert "第5行 李四：未导入。身份证号校验位不符" in output
    assert "第6行 无码公司：未导入。企业和合作社须填写统一社会信用代码" in output
    assert "第7行 未知类型：未导入。主体类型" in output
    assert "第8行 王家农场：未导入。电话“12345”无效" in output
    assert "共7行：导入3行，已登记跳过0行，错误4行。" in output


def test_imported_id_numbers_are_encrypted_and_masked(app: Flask, tmp_path: Path) -> None:
    run_import(app, write_csv(tmp_path / "p.csv"))
    farmer = producers(app)["张秀英"]
    assert farmer.id_number_masked == "1101**********002X"
    assert farmer.id_number_encrypted and "11010519491231002X" not in farmer.id_number_encrypted
    from traceability.registry.pii import IdNumberVault

    vault = IdNumberVault.from_config(app.config)
    assert vault.decrypt(farmer.id_number_encrypted) == "11010519491231002X"
    assert farmer.phone == "0571-87654321"
    assert producers(app)["清河果蔬合作社"].phone == "13812345679"


def test_running_the_same_file_again_adds_nothing(app: Flask, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "p.xlsx")
    run_import(app, path)
    _, output = run_import(app, path)
    assert len(producers(app)) == 3
    assert "导入0行，已登记跳过3行，错误4行" in output


def test_the_report_file_lists_the_rows_to_fix(app: Flask, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    run_import(app, write_csv(tmp_path / "p.csv"), "--report", str(report))
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["行号", "名称", "结果", "说明"]
    assert [r[0] for r in rows[1:]] == ["5", "6", "7", "8"]


def test_every_imported_producer_is_in_the_audit_log(app: Flask, tmp_path: Path) -> None:
    run_import(app, write_csv(tmp_path / "p.csv"))
    with app.app_context(), session_scope(get_engine()) as session:
        created = session.exec(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "producer.create")
        ).one()
        actors = set(session.exec(select(AuditEntry.actor)).all())
    assert created == 3
    assert actors == {"cli:local"}


def _upload(app: Flask, path: Path, query: str = "") -> str:
    """The import page's answer to `path`, posted by a signed-in county admin."""
    from traceability.accounts.service import UserInput, create_user

    with app.app_context(), session_scope(get_engine()) as session:
        if session.exec(select(func.count()).select_from(User)).one() == 0:
            create_user(
                session, UserInput(username="admin", role="county_admin", password="x" * 12)
            )
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "x" * 12})
    with path.open("rb") as handle:
        response = client.post(
            f"/admin/producers/import{query}",
            data={"file": (handle, path.name)},
            content_type="multipart/form-data",
        )
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_the_upload_page_imports_the_same_way(app: Flask, tmp_path: Path) -> None:
    page = _upload(app, write_xlsx(tmp_path / "p.xlsx"))

    assert "共7行：导入3行" in page
    assert "身份证号校验位不符" in page
    assert set(producers(app)) == GOOD


def test_the_english_page_gives_each_rows_reason_in_english(app: Flask, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv")
    _upload(app, path)

    page = _upload(app, path, "?lang=en")

    assert "7 rows: 0 imported, 3 already registered and skipped, 4 with errors." in page
    assert "The ID number fails its check digit" in page
    assert "Phone '12345' is invalid" in page
    assert "Registered already as “绿源蔬菜有限公司”" in page
    assert ": same unified social credit code" in page
    assert "校验位不符" not in page and "已登记的" not in page


def test_the_json_report_gives_each_reason_in_both_languages(app: Flask, tmp_path: Path) -> None:
    code, output = run_import(app, write_csv(tmp_path / "p.csv"), "--json")
    rows = {row["row"]: row for row in json.loads(output)["rows"]}

    assert code == 1  # rows with errors fail the command, as they do without --json
    assert rows[5]["messages"][0].startswith("身份证号校验位不符")
    assert rows[5]["messages_en"][0].startswith("The ID number fails its check digit")
    assert rows[2]["status"] == "created" and rows[2]["messages_en"] == []


def test_with_json_only_a_row_in_error_fails_the_command(app: Flask, tmp_path: Path) -> None:
    good = [row for row in ROWS if row[1] in GOOD]
    code, output = run_import(app, write_csv(tmp_path / "good.csv", good), "--json")
    assert code == 0 and json.loads(output)["created"] == 3

    code, output = run_import(app, write_csv(tmp_path / "again.csv", good), "--json")
    assert code == 0 and json.loads(output)["duplicate"] == 3  # skipped, not wrong
