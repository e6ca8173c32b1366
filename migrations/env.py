"""Alembic environment wired to the models' metadata."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlmodel import SQLModel

import traceability.models  # noqa: F401  (registers every table)
from traceability.config import load_settings
from traceability.db import make_engine
from traceability.models.types import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def database_url() -> str:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    return str(url or load_settings()["DATABASE_URL"])


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column types as plain SQLAlchemy types in revision files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and obj.__class__.__module__.startswith("sqlmodel"):
        autogen_context.imports.add("import sqlmodel")
    return False


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(database_url())
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection: Any) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        render_item=render_item,
        compare_type=True,
    )
    if sqlite:
        _without_foreign_keys(connection)
        return
    with context.begin_transaction():
        context.run_migrations()


def _without_foreign_keys(connection: Any) -> None:
    """SQLite's own procedure for a table rebuild ("Making Other Kinds Of Table Schema
    Changes", sqlite.org/lang_altertable.html), which is what a batch migration is.

    The rebuild drops the old table; with foreign keys on, that drop deletes its rows
    first, and a database whose rapid tests have cases (or report files) refused it with
    "FOREIGN KEY constraint failed", so 0012 and 0013 could not run on one. The pragma
    cannot change inside a transaction, so it is set on the driver's connection before
    the migrations' transaction begins, and every reference is checked before it commits:
    a migration that broke one fails and leaves the database as it was.
    """
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
