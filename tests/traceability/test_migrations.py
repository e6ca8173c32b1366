"""The migrations are the schema: head equals the models, and they round-trip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, column, insert, inspect, table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, SQLModel, col, select

import traceability.models  # noqa: F401
from traceability import create_app, migrate
from traceability.compliance.testing import natural_key
from traceability.db import get_engine, make_engine, session_scope
from traceability.demo import load_demo
from traceability.models import Producer, Product
from traceability.models.compliance import UNIQUE_NATURAL_KEY, UNIQUE_SUBMISSION_KEY, RapidTest
from traceability.models.product import UNIQUE_ACTIVE_GTIN, UNIQUE_ACTIVE_NAME
from traceability.models.types import UTCDateTime


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return list(diff)


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrading_an_empty_database_yields_exactly_the_models_schema(
    empty_database_url: str,
) -> None:
    migrate.upgrade(empty_database_url)
    assert schema_differences(empty_database_url) == []


def test_upgrade_reaches_the_head_revision(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_downgrade_to_base_then_upgrade_round_trips(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    before = table_names(empty_database_url)
    migrate.downgrade(empty_database_url, "base")
    assert table_names(empty_database_url) <= {"alembic_version"}
    migrate.upgrade(empty_database_url)
    assert table_names(empty_database_url) == before
    assert schema_differences(empty_database_url) == []


def test_0008_starts_the_lookup_revision_counter_and_0009_fills_scan_places(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Scans recorded before 0009 count their places after it: one row per code and place."""
    migrate.upgrade(empty_database_url, "0008")
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, value FROM lookup_revision")).all() == [(1, 0)]
    # The demo is written by today's models, so at today's schema, then taken back to 0008
    # (its rows stay) to record scans as a 0008 database did.
    migrate.upgrade(empty_database_url, "head")
    app = create_app({"DATABASE_URL": empty_database_url, "TRACEABILITY_HOME": str(tmp_path)})
    with app.app_context(), session_scope(get_engine(app)) as session:
        load_demo(session, app.config)
    get_engine(app).dispose()
    migrate.downgrade(empty_database_url, "0008")
    with engine.begin() as connection:
        first, second = connection.execute(
            text("SELECT id FROM item_code ORDER BY id LIMIT 2")
        ).scalars()
        for item, place in [(first, "aa"), (first, "bb"), (first, "aa"), (second, "aa")]:
            connection.execute(
                text(
                    "INSERT INTO scan_event (item_code_id, place, at)"
                    " VALUES (:item, :place, CURRENT_TIMESTAMP)"
                ),
                {"item": item, "place": place},
            )
    migrate.upgrade(empty_database_url, "0009")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT item_code_id, place FROM scan_place ORDER BY item_code_id, place")
        ).all()
    engine.dispose()
    get_engine(app).dispose()
    assert [tuple(row) for row in rows] == [(first, "aa"), (first, "bb"), (second, "aa")]


def test_0010_adds_only_the_lab_report_file_table_and_downgrades_to_0009(
    empty_database_url: str,
) -> None:
    migrate.upgrade(empty_database_url, "0009")
    before = table_names(empty_database_url)
    migrate.upgrade(empty_database_url, "0010")
    assert table_names(empty_database_url) - before == {"lab_report_file"}
    migrate.downgrade(empty_database_url, "0009")
    assert table_names(empty_database_url) == before
    engine = make_engine(empty_database_url)
    assert migrate.current_revision(engine) == "0009"
    engine.dispose()


def product_indexes(url: str) -> dict[str, bool]:
    """The product table's indexes, by name, and whether each is unique."""
    engine = make_engine(url)
    found = {str(i["name"]): bool(i["unique"]) for i in inspect(engine).get_indexes("product")}
    engine.dispose()
    return found


def add_products(url: str, *rows: tuple[str, str | None, bool]) -> None:
    """Products (name, gtin, active) of one new producer, written straight to the tables."""
    engine = make_engine(url)
    with Session(engine) as session:
        producer = Producer(kind="smallholder", name="王五")
        session.add(producer)
        session.flush()
        for name, gtin, active in rows:
            session.add(
                Product(
                    producer_id=producer.id or 0,
                    name=name,
                    category="vegetable",
                    gtin=gtin,
                    active=active,
                )
            )
        session.commit()
    engine.dispose()


def test_0011_adds_unique_indexes_that_count_only_active_products_and_downgrades_to_0010(
    empty_database_url: str,
) -> None:
    url, ours = empty_database_url, {UNIQUE_ACTIVE_NAME, UNIQUE_ACTIVE_GTIN}
    migrate.upgrade(url, "0010")
    assert not ours & set(product_indexes(url))
    migrate.upgrade(url, "0011")
    assert {name: unique for name, unique in product_indexes(url).items() if name in ours} == {
        UNIQUE_ACTIVE_NAME: True,
        UNIQUE_ACTIVE_GTIN: True,
    }
    add_products(url, ("黄瓜", "06901234567892", True), ("黄瓜", "06901234567892", False))
    with pytest.raises(IntegrityError):
        add_products(url, ("旱黄瓜", "06901234567892", True))
    migrate.downgrade(url, "0010")
    assert not ours & set(product_indexes(url))
    add_products(url, ("旱黄瓜", "06901234567892", True))  # 0010 had no such rule
    engine = make_engine(url)
    assert migrate.current_revision(engine) == "0010"
    engine.dispose()


def test_0011_refuses_to_upgrade_over_active_duplicates_naming_them_and_changes_nothing(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    migrate.upgrade(url, "0010")
    add_products(url, ("黄瓜", "06901234567892", True), ("旱黄瓜", "06901234567892", True))
    add_products(url, ("香菇", None, True), ("香菇", None, True))
    with pytest.raises(RuntimeError) as refused:
        migrate.upgrade(url, "0011")
    message = str(refused.value)
    assert "06901234567892" in message and "香菇" in message
    engine = make_engine(url)
    assert migrate.current_revision(engine) == "0010"
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE product SET active = :no WHERE name = :name"),
            {"no": False, "name": "旱黄瓜"},
        )
    assert not {UNIQUE_ACTIVE_NAME, UNIQUE_ACTIVE_GTIN} & set(product_indexes(url))
    with pytest.raises(RuntimeError) as still:  # one clash is left
        migrate.upgrade(url, "0011")
    assert "06901234567892" not in str(still.value) and "香菇" in str(still.value)
    engine.dispose()


def rapid_test_indexes(url: str) -> dict[str, bool]:
    engine = make_engine(url)
    found = {str(i["name"]): bool(i["unique"]) for i in inspect(engine).get_indexes("rapid_test")}
    engine.dispose()
    return found


def rapid_test_columns(url: str) -> set[str]:
    engine = make_engine(url)
    found = {str(c["name"]) for c in inspect(engine).get_columns("rapid_test")}
    engine.dispose()
    return found


# tests as 0011 stored them: (method, sample_no, target, lab_name, report_no, of the producer?,
# tested_at in UTC)
OLD_TESTS = [
    ("colloidal_gold", "S-1", "克伦特罗", "", "", True, datetime(2026, 3, 1, 16, 30, tzinfo=UTC)),
    ("colloidal_gold", "S-1", "克伦特罗", "", "", True, datetime(2026, 3, 1, 15, 30, tzinfo=UTC)),
    ("enzyme_inhibition", "", "", "", "", False, datetime(2026, 3, 1, 2, tzinfo=UTC)),
    ("lab_report", "", "", "县检测站", "JC-7", False, datetime(2026, 3, 1, 2, tzinfo=UTC)),
]
OldTest = tuple[str, str, str, str, str, bool, datetime]
_OLD_RAPID_TEST = table(
    "rapid_test",
    *(
        column(name)
        for name in ("sample_no", "producer_id", "product_id", "product_name", "method")
    ),
    *(column(name) for name in ("target", "lab_name", "report_no", "result", "operator")),
    *(column(name) for name in ("place", "report_file", "instrument", "channel", "recorded_by")),
    column("items", JSON()),
    column("tested_at", UTCDateTime()),
    column("recorded_at", UTCDateTime()),
)


def add_old_tests(url: str, rows: list[OldTest]) -> None:
    """Tests of a new producer's 生猪 (or of an unknown seller), written straight to the
    table as it stands before 0012 (no key columns)."""
    add_products(url, ("生猪", None, True))
    engine = make_engine(url)
    with engine.begin() as connection:
        producer, product = connection.execute(
            text("SELECT producer_id, id FROM product ORDER BY id DESC LIMIT 1")
        ).one()
        connection.execute(
            insert(_OLD_RAPID_TEST),
            [
                {
                    "sample_no": sample,
                    "producer_id": producer if known else None,
                    "product_id": product if known else None,
                    "product_name": "生猪",
                    "method": method,
                    "target": target,
                    "lab_name": lab,
                    "report_no": report,
                    "result": "pass",
                    "operator": "快检员",
                    "items": [],
                    **dict.fromkeys(("place", "report_file", "instrument", "recorded_by"), ""),
                    "channel": "api",
                    "tested_at": tested,
                    "recorded_at": tested,
                }
                for method, sample, target, lab, report, known, tested in rows
            ],
        )
    engine.dispose()


def stored_keys(url: str) -> list[tuple[RapidTest, str | None]]:
    """Each stored test (as the service reads it) with the natural key the table holds;
    columns of later revisions (0013's township_id) are not read, the table lacks them."""
    engine = make_engine(url)
    with Session(engine) as session:
        query = select(RapidTest).options(defer(RapidTest.township_id))  # type: ignore[arg-type]
        found = [
            (test, test.natural_key)
            for test in session.exec(query.order_by(col(RapidTest.id))).all()
        ]
    engine.dispose()
    return found


def test_0012_fills_the_natural_keys_as_the_service_counts_them_and_holds_them_unique(
    empty_database_url: str,
) -> None:
    url, ours = empty_database_url, {UNIQUE_NATURAL_KEY, UNIQUE_SUBMISSION_KEY}
    migrate.upgrade(url, "0011")
    add_old_tests(url, OLD_TESTS)
    migrate.upgrade(url, "0012")
    assert {name: unique for name, unique in rapid_test_indexes(url).items() if name in ours} == {
        UNIQUE_NATURAL_KEY: True,
        UNIQUE_SUBMISSION_KEY: True,
    }
    stored = stored_keys(url)
    assert [key for _, key in stored] == [natural_key(test) for test, _ in stored]
    keys = [key for _, key in stored]
    # two Beijing days; no key without a sample number; an unknown seller's report has one
    assert keys[0] != keys[1] and keys[2] is None and keys[3] is not None
    engine = make_engine(url)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("UPDATE rapid_test SET natural_key = :key WHERE id = :id"),
            {"key": keys[3], "id": stored[2][0].id},
        )
    with engine.begin() as connection:  # any number of tests without a key
        connection.execute(text("UPDATE rapid_test SET natural_key = NULL"))
    engine.dispose()


def test_0012_downgrades_to_0011_without_its_columns_and_indexes(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    migrate.upgrade(url, "0011")
    before = rapid_test_columns(url), set(rapid_test_indexes(url))
    migrate.upgrade(url, "0012")
    assert rapid_test_columns(url) - before[0] == {"natural_key", "submission_key"}
    migrate.downgrade(url, "0011")
    assert (rapid_test_columns(url), set(rapid_test_indexes(url))) == before
    add_old_tests(url, OLD_TESTS[:1] * 2)  # 0011 had no such rule
    engine = make_engine(url)
    assert migrate.current_revision(engine) == "0011"
    engine.dispose()


def test_0012_refuses_to_upgrade_over_repeated_tests_naming_them_and_changes_nothing(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    migrate.upgrade(url, "0011")
    add_old_tests(url, OLD_TESTS + OLD_TESTS[:1] + OLD_TESTS[3:])  # T5 = T1, T6 = T4
    with pytest.raises(RuntimeError) as refused:
        migrate.upgrade(url, "0012")
    message = str(refused.value)
    assert "T1 = T5 (colloidal_gold sample S-1 target 克伦特罗" in message
    assert "T4 = T6 (lab_report 县检测站 report JC-7, producer None" in message
    assert "T2" not in message and "T3" not in message
    engine = make_engine(url)
    assert migrate.current_revision(engine) == "0011"
    assert "natural_key" not in rapid_test_columns(url)
    with engine.begin() as connection:  # the copies given numbers of their own
        connection.execute(text("UPDATE rapid_test SET sample_no = 'S-1/T5' WHERE id = 5"))
        connection.execute(text("UPDATE rapid_test SET report_no = 'JC-7/T6' WHERE id = 6"))
    migrate.upgrade(url, "0012")
    assert migrate.current_revision(engine) == "0012"
    engine.dispose()


def rapid_test_foreign_keys(url: str) -> set[tuple[str, str]]:
    engine = make_engine(url)
    found = {
        (",".join(fk["constrained_columns"]), str(fk["referred_table"]))
        for fk in inspect(engine).get_foreign_keys("rapid_test")
    }
    engine.dispose()
    return found


def test_0013_adds_the_sampling_township_to_tests_kept_and_downgrades_to_0012(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    migrate.upgrade(url, "0012")
    before = rapid_test_columns(url), rapid_test_indexes(url), rapid_test_foreign_keys(url)
    add_old_tests(url, OLD_TESTS[:2])  # stored before anyone said where they were sampled
    migrate.upgrade(url, "0013")
    assert rapid_test_columns(url) - before[0] == {"township_id"}
    assert set(rapid_test_indexes(url)) - set(before[1]) == {"ix_rapid_test_township_id"}
    assert rapid_test_foreign_keys(url) - before[2] == {("township_id", "region")}
    engine = make_engine(url)
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT id, township_id FROM rapid_test ORDER BY id"))
        assert [tuple(row) for row in kept] == [(1, None), (2, None)]
    migrate.downgrade(url, "0012")
    after = rapid_test_columns(url), rapid_test_indexes(url), rapid_test_foreign_keys(url)
    assert after == before
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM rapid_test")).scalar() == 2
    assert migrate.current_revision(engine) == "0012"
    engine.dispose()


def test_a_database_whose_tests_opened_cases_migrates_down_past_0012_and_back_keeping_them(
    empty_database_url: str, tmp_path: Path
) -> None:
    """0012 and 0013 rebuild `rapid_test` on SQLite. With its foreign keys on, dropping the
    old table failed once a case (or a report file) referred to a test: the migrations
    now run as SQLite's rebuild procedure says, and check every reference before commit."""
    migrate.upgrade(empty_database_url, "head")
    app = create_app({"DATABASE_URL": empty_database_url, "TRACEABILITY_HOME": str(tmp_path)})
    with app.app_context(), session_scope(get_engine(app)) as session:
        load_demo(session, app.config)  # its failed test opened a case
    get_engine(app).dispose()
    count = "SELECT (SELECT count(*) FROM rapid_test), (SELECT count(*) FROM compliance_case)"
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        before = tuple(connection.execute(text(count)).one())
    migrate.downgrade(empty_database_url, "0011")
    migrate.upgrade(empty_database_url, "head")
    with engine.connect() as connection:
        after = tuple(connection.execute(text(count)).one())
        broken = (
            connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if connection.dialect.name == "sqlite"
            else []
        )
        foreign_keys_on = (
            connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
            if connection.dialect.name == "sqlite"
            else 1
        )
    engine.dispose()
    assert before[0] >= 4 and before[1] >= 1
    assert after == before
    assert broken == [] and foreign_keys_on == 1
    assert schema_differences(empty_database_url) == []
