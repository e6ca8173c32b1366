"""The migrations are the schema: head equals the models, and they round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

import traceability.models  # noqa: F401
from traceability import create_app, migrate
from traceability.db import get_engine, make_engine, session_scope
from traceability.demo import load_demo
from traceability.models import Producer, Product
from traceability.models.product import UNIQUE_ACTIVE_GTIN, UNIQUE_ACTIVE_NAME


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
