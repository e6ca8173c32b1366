"""`traceability regions import`: a production database gets its county's divisions, so
township staff accounts can be made from the command line (docs/deployment.md §4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from traceability.cli import main

DIVISIONS = (
    "代码,名称\n"
    "410122101201,东关村\n"  # a village before its township: the file's order is free
    "410122,示范县\n"
    "410122101,城关镇\n"
    "410122102,清河镇\n"
)


@pytest.fixture
def runner(empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("TRACEABILITY_HOME", str(tmp_path / "instance"))
    cli = CliRunner()
    assert cli.invoke(main, ["init"]).exit_code == 0
    return cli


def _regions(runner: CliRunner) -> dict[str, dict[str, object]]:
    rows = json.loads(runner.invoke(main, ["regions", "list", "--json"]).output)
    return {row["code"]: row for row in rows}


def test_a_township_supervisor_is_made_once_the_divisions_are_imported(runner: CliRunner) -> None:
    account = ["users", "create", "--username", "chengguan", "--role", "township_supervisor",
               "--township", "410122101", "--password-stdin"]  # fmt: skip
    before = runner.invoke(main, account, input="a-real-password-2026\n")
    assert before.exit_code == 2 and "no township with code 410122101" in before.output

    imported = runner.invoke(main, ["regions", "import", "-", "--json"], input=DIVISIONS)
    assert imported.exit_code == 0, imported.output
    assert sorted(json.loads(imported.output)["created"]) == [
        "410122", "410122101", "410122101201", "410122102",
    ]  # fmt: skip
    regions = _regions(runner)
    assert [regions[c]["level"] for c in ("410122", "410122101", "410122101201")] == [
        "county", "township", "village",
    ]  # fmt: skip

    made = runner.invoke(main, [*account, "--json"], input="a-real-password-2026\n")
    assert made.exit_code == 0, made.output
    (user,) = [
        u
        for u in json.loads(runner.invoke(main, ["users", "list", "--json"]).output)
        if u["username"] == "chengguan"
    ]
    assert user["township_ids"] == [regions["410122101"]["id"]]


def test_importing_the_same_file_again_adds_nothing(runner: CliRunner) -> None:
    runner.invoke(main, ["regions", "import", "-"], input=DIVISIONS)
    again = runner.invoke(main, ["regions", "import", "-", "--json"], input=DIVISIONS)
    report = json.loads(again.output)
    assert report["created"] == [] and len(report["present"]) == 4
    assert len(_regions(runner)) == 4


def test_a_producer_registered_before_its_division_is_placed_in_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Otherwise it stays outside every township: no supervisor would see it."""
    sheet = tmp_path / "producers.csv"
    sheet.write_text(
        "主体类型,名称,统一社会信用代码,联系人,联系电话,行政区划代码,地址\n"
        "企业,东关蔬菜有限公司,91410122MA44AAAA0J,李四,13700000000,410122101201,东关村\n",
        "utf-8",
    )
    registered = runner.invoke(main, ["producers", "import", str(sheet)])
    assert registered.exit_code == 0, registered.output
    imported = runner.invoke(main, ["regions", "import", "-", "--json"], input=DIVISIONS)
    assert json.loads(imported.output)["producers_placed"] == 1


def test_a_file_with_a_bad_line_imports_nothing_and_names_each_line(runner: CliRunner) -> None:
    bad = "code,name\n410122,示范县\n41012210,短了一位\n410199101,无上级镇\n"
    result = runner.invoke(main, ["regions", "import", "-"], input=bad)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        "line 3" in result.output and "line 4: 410199101 lacks its parent 410199" in result.output
    )
    assert _regions(runner) == {}


def test_a_file_without_code_and_name_columns_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(main, ["regions", "import", "-"], input="编号,地名\n410122,示范县\n")
    assert result.exit_code == 1 and "代码" in result.output and "code" in result.output
