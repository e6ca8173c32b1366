"""`traceability market …` and `traceability recall …` refuse bad input with one line in
Chinese and English, never a traceback, and write nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine
from sqlmodel import Session, col, func, select

from traceability.cli import main
from traceability.models import Market, Recall, Region

TOO_BIG = str(2**63)  # past what any integer column holds
PAST_INTEGER = str(2**31)  # past what PostgreSQL's integer id columns hold


@pytest.fixture
def runner(empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A database at head with the demo county loaded."""
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("TRACEABILITY_HOME", str(tmp_path / "instance"))
    runner = CliRunner()
    runner.invoke(main, ["init"], catch_exceptions=False)
    runner.invoke(main, ["demo"], catch_exceptions=False)
    return runner


def _count(model: type[Market] | type[Recall]) -> int:
    engine = create_engine(os.environ["DATABASE_URL"])
    with Session(engine) as session:
        count = session.exec(select(func.count(col(model.id)))).one()
    engine.dispose()
    return int(count)


def _refused(result: Result, *words: str) -> str:
    """The one-line refusal (click's `Error: …`), with each of `words` in it."""
    assert result.exit_code in (1, 2), result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    for word in words:
        assert word in line, line
    return line


@pytest.mark.parametrize(
    "day", ["2026-13-01", "2026-02-30", "20260301", "yesterday", "２０２６-03-01"]
)
def test_a_recall_with_a_date_that_does_not_exist_is_refused_in_one_line(
    runner: CliRunner, day: str
) -> None:
    for option in ("--from", "--to"):
        dates = {"--from": "2026-01-01", "--to": "2026-03-01", option: day}
        args = ["recall", "producer", "1", *[x for pair in dates.items() for x in pair]]
        line = _refused(runner.invoke(main, [*args, "--reason", "抽检不合格"]), day, option)
        assert "日期" in line and "YYYY-MM-DD" in line
    assert _count(Recall) == 0


@pytest.mark.parametrize("number", [TOO_BIG, PAST_INTEGER, "0", "1.5", "一"])
def test_a_recall_naming_an_id_no_record_can_have_is_refused_in_one_line(
    runner: CliRunner, number: str
) -> None:
    batch = runner.invoke(main, ["recall", "batch", number, "--reason", "抽检不合格"])
    _refused(batch, number, "BATCH_ID", "编号", "whole number")
    dates = ["--from", "2026-01-01", "--to", "2026-03-01"]
    producer = runner.invoke(main, ["recall", "producer", number, *dates, "--reason", "召回"])
    _refused(producer, number, "PRODUCER_ID", "编号", "whole number")
    assert _count(Recall) == 0


def test_a_recall_of_a_batch_that_is_not_there_is_refused_in_one_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["recall", "batch", str(2**31 - 1), "--reason", "抽检不合格"])
    _refused(result, "找不到该批次", "No such batch")
    assert _count(Recall) == 0


def test_a_market_in_a_region_that_does_not_exist_is_refused_naming_it(
    runner: CliRunner,
) -> None:
    base = ["market", "add", "--name", "青禾惠民超市", "--kind", "supermarket", "--json"]
    for region in ("999999", "379901999", "青禾市", TOO_BIG):
        _refused(runner.invoke(main, [*base, "--region", region]), region, "--region", "行政区划")
    assert _count(Market) == 1  # the demo's

    engine = create_engine(os.environ["DATABASE_URL"])
    with Session(engine) as session:
        township = session.exec(select(Region).where(Region.code == "379901001")).one()
    engine.dispose()
    by_code = runner.invoke(main, [*base, "--region", "379901001"])
    assert by_code.exit_code == 0, by_code.output
    made = json.loads(by_code.output)
    assert (made["region_id"], made["region"]) == (township.id, township.name)
    by_name = json.loads(runner.invoke(main, [*base, "--region", township.name]).output)
    assert by_name["region_id"] == township.id
    nowhere = json.loads(runner.invoke(main, base).output)
    assert (nowhere["region_id"], nowhere["region"]) == (None, "")


def test_a_market_whose_phone_is_too_long_is_refused_not_cut_short(runner: CliRunner) -> None:
    base = ["market", "add", "--name", "青禾惠民超市", "--kind", "supermarket"]
    result = runner.invoke(main, [*base, "--phone", "1" * 21])
    _refused(result, "联系电话", "phone")
    assert _count(Market) == 1  # the demo's
