"""An instrument's CSV is imported all or nothing, and every refusal is a row error naming its
line: a case number that is not a number, a second re-test of one case, a row that repeats
another; none of them stops the import half-way with an exception."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from click.testing import Result
from flask import Flask

from tests.traceability.compliance.conftest import count, failed_enzyme_case, in_session
from traceability.compliance import cases
from traceability.compliance.testing import ImportReport, import_csv
from traceability.models import AuditEntry, Batch
from traceability.models.compliance import ComplianceCase, RapidTest

HEADER = "retest_of_case,method,lab_name,report_no,result,operator,tested_at\n"


def _case_an_hour_ago(app: Flask, batch: Batch) -> int:
    return failed_enzyme_case(app, batch, hours_ago=1)[0]


def _import(app: Flask, text: str) -> ImportReport:
    return in_session(app, lambda s: import_csv(s, text, recorded_by="lab"))


def _written(app: Flask) -> tuple[int, int, int]:
    return count(app, RapidTest), count(app, ComplianceCase), count(app, AuditEntry)


def _lab_row(case: object, report_no: str, result: str = "pass") -> str:
    when = datetime.now(UTC).isoformat()
    return f"{case},lab_report,县检测站,{report_no},{result},检测员,{when}\n"


def test_a_case_number_that_is_not_a_number_is_a_row_error(app: Flask, cucumbers: Batch) -> None:
    case_id = _case_an_hour_ago(app, cucumbers)
    written = _written(app)
    report = _import(app, HEADER + _lab_row(case_id, "JC-1") + _lab_row("第2号", "JC-2"))
    assert report.imported == []
    [(line, message)] = report.errors
    assert line == 3 and "retest_of_case" in message and "必须是案件编号" in message
    assert _written(app) == written
    assert in_session(app, lambda s: cases.get_case(s, case_id)).retest_test_id is None


def test_a_second_retest_of_a_case_in_the_same_file_is_a_row_error(
    app: Flask, cucumbers: Batch
) -> None:
    case_id = _case_an_hour_ago(app, cucumbers)
    written = _written(app)
    report = _import(app, HEADER + _lab_row(case_id, "JC-1", "fail") + _lab_row(case_id, "JC-2"))
    assert report.imported == []
    [(line, message)] = report.errors
    assert line == 3 and "不再受理第二次复检" in message and "second re-test" in message
    assert _written(app) == written  # the first re-test of the file is not kept either
    case = in_session(app, lambda s: cases.get_case(s, case_id))
    assert case.retest_test_id is None and case.blocking is True


def test_a_row_repeating_another_is_a_row_error_and_later_rows_are_still_checked(
    app: Flask, cucumbers: Batch
) -> None:
    rows = (
        "sample_no,batch_id,method,inhibition_rate,operator\n"
        f"S1,{cucumbers.id},enzyme_inhibition,12,张三\n"
        f"S1,{cucumbers.id},enzyme_inhibition,12,张三\n"
        f"S2,{cucumbers.id},enzyme_inhibition,104,张三\n"
    )
    report = _import(app, rows)
    assert [line for line, _message in report.errors] == [3, 4]
    assert "已登记为检测记录" in report.errors[0][1]
    assert "超出 0–100%" in report.errors[1][1]
    assert count(app, RapidTest) == 0


def test_a_valid_file_imports_its_retest(app: Flask, cucumbers: Batch) -> None:
    case_id = _case_an_hour_ago(app, cucumbers)
    report = _import(app, HEADER + _lab_row(case_id, "JC-1"))
    assert report.errors == [] and len(report.imported) == 1
    assert count(app, RapidTest) == 2
    assert in_session(app, lambda s: cases.get_case(s, case_id)).blocking is False


def test_the_command_reports_the_row_and_imports_nothing(
    app: Flask, cucumbers: Batch, cli: Callable[..., Result], tmp_path: Path
) -> None:
    case_id = _case_an_hour_ago(app, cucumbers)
    file = tmp_path / "retests.csv"
    file.write_text(HEADER + _lab_row(case_id, "JC-1") + _lab_row("abc", "JC-2"), "utf-8")
    result = cli("tests", "import", str(file))
    assert result.exit_code != 0
    assert "line 3:" in result.output and "retest_of_case" in result.output
    assert "ValueError" not in result.output
    assert count(app, RapidTest) == 1
