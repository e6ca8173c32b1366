"""Counting the SQL statements a piece of work sends, for specifications of query cost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlmodel import Session

from tests.traceability.compliance.conftest import in_session
from traceability.db import get_engine


def count_statements(app: Flask, work: Callable[[Session], Any]) -> int:
    """How many statements `work` sends to the database, in a session of its own."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    with app.app_context():
        engine = get_engine()
        event.listen(engine, "before_cursor_execute", count)
        try:
            in_session(app, work)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return len(statements)
