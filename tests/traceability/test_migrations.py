"""The migrations are the schema: head equals the models, and they round-trip."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import traceability.models  # noqa: F401
from traceability import create_app, migrate
from traceability.db import get_engine, make_engine, session_scope
from traceability.demo import load_demo


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
    app = create_app({"DATABASE_URL": empty_database_url, "TRACEABILITY_HOME": str(tmp_path)})
    with app.app_context(), session_scope(get_engine(app)) as session:
        load_demo(session, app.config)
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
