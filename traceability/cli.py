"""The `traceability` command: set up, migrate, load demo data, serve, issue, verify.

Commands call the same domain functions as the web service, inside an app context.
Where a script would want it, `--json` prints machine-readable output.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from flask import Flask

F = TypeVar("F", bound=Callable[..., Any])


def _app() -> Flask:
    from traceability import create_app

    return create_app()


def with_app(func: F) -> F:
    """Run the command inside an app context with a fresh app."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        app = _app()
        with app.app_context():
            return func(app, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group(
    help="承诺达标合格证追溯服务 — certificates of conformity and one-item-one-code traceability."
)
def main() -> None:
    """Entry point of the console script."""


@main.command(
    help="Prepare the instance: folder, secrets, database at the newest schema, signing key."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_app
def init(app: Flask, as_json: bool) -> None:
    from traceability import migrate
    from traceability.setup import ensure_ready

    report = ensure_ready(app)
    if as_json:
        echo_json(report)
    else:
        click.echo(f"instance: {report['home']}")
        click.echo(f"database: {report['database']} (revision {report['revision']})")
        if report.get("kid"):
            click.echo(f"signing key: {report['kid']}")
    assert report["revision"] == migrate.head_revision()


@main.group(help="Database schema migrations (Alembic).")
def db() -> None:
    """Schema migrations."""


@db.command("upgrade", help="Upgrade the database schema (default: to the newest revision).")
@click.argument("revision", default="head")
@with_app
def db_upgrade(app: Flask, revision: str) -> None:
    from traceability import migrate

    migrate.upgrade(app.config["DATABASE_URL"], revision)
    click.echo(f"upgraded to {revision}")


@db.command(
    "downgrade",
    help="Downgrade the database schema (default: one revision back; 'base' empties it).",
)
@click.argument("revision", default="-1")
@with_app
def db_downgrade(app: Flask, revision: str) -> None:
    from traceability import migrate

    migrate.downgrade(app.config["DATABASE_URL"], revision)
    click.echo(f"downgraded to {revision}")


@db.command("current", help="Show the database's schema revision and the newest one.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_app
def db_current(app: Flask, as_json: bool) -> None:
    from traceability import migrate
    from traceability.db import get_engine

    data = {"revision": migrate.current_revision(get_engine()), "head": migrate.head_revision()}
    if as_json:
        echo_json(data)
    else:
        click.echo(f"{data['revision']} (head {data['head']})")


@main.command(
    help="Load demo data (a county with townships, villages, producers, products and "
    "batches) when the database is empty."
)
@click.option("--json", "as_json", is_flag=True, help="Print what was loaded as JSON.")
@with_app
def demo(app: Flask, as_json: bool) -> None:
    from traceability.db import get_engine, session_scope
    from traceability.demo import load_demo

    with session_scope(get_engine()) as session:
        report = load_demo(session, app.config)
    if as_json:
        echo_json(report)
        return
    if not report["loaded"]:
        click.echo("demo data already present; nothing loaded / 已有数据，未重复载入")
    else:
        click.echo(f"loaded demo county {report['county']}: {report['producers']} producers")
    for item in report.get("codes", []):
        click.echo(f"  {item['status']:8} {item['product']}: {item['url']}")


@main.command(help="Serve the web service with gunicorn (the production server).")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT to listen on.")
@click.option(
    "--workers", type=int, default=None, help="Worker processes (default from gunicorn.conf.py)."
)
def serve(bind: str, workers: int | None) -> None:
    from traceability.migrate import PROJECT_ROOT

    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(PROJECT_ROOT / "gunicorn.conf.py"),
        "--bind",
        bind,
    ]
    if workers:
        args += ["--workers", str(workers)]
    args.append("wsgi:app")
    base = os.environ.get("PUBLIC_BASE_URL", f"http://{bind}")
    click.echo(f"serving on http://{bind}")
    click.echo(f"  home page      {base}/")
    click.echo(f"  health         {base}/healthz")
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, args)
