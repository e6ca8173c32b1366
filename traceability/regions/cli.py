"""`traceability regions import|list`: the county's divisions (行政区划)."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask


def register(main: click.Group) -> None:
    """Attach the region commands to the main group (called at the end of traceability/cli.py)."""
    from traceability.cli import _session_scope, echo_json, with_app

    @main.group(help="Administrative divisions (行政区划): the county, townships and villages.")
    def regions() -> None:
        """Regions."""

    @regions.command(
        "import",
        help="Add divisions from a CSV with a code column (6 digits county, 9 township, 12 "
        "village) and a name column (代码,名称 or code,name); '-' reads standard input. Rows "
        "already there are kept, producers registered with a new code are placed in it. All "
        "rows or none.",
    )
    @click.argument("file", type=click.File("rb"))
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @with_app
    def regions_import(app: Flask, file: Any, as_json: bool) -> None:
        from traceability.regions.importing import import_regions, read_region_rows

        rows = read_region_rows(file.read())
        with _session_scope() as session:
            report = import_regions(session, rows)
        if as_json:
            echo_json(report.__dict__)
            return
        click.echo(
            f"added {len(report.created)} division(s), {len(report.present)} already present;"
            f" {report.producers_placed} producer(s) placed / 新增{len(report.created)}个区划"
        )

    @regions.command("list", help="List the current divisions: code, level, name.")
    @click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
    @with_app
    def regions_list(app: Flask, as_json: bool) -> None:
        from sqlmodel import col, select

        from traceability.models import Region

        with _session_scope() as session:
            rows = [
                {"id": r.id, "code": r.code, "level": r.level, "name": r.name}
                for r in session.exec(
                    select(Region).where(col(Region.retired).is_(False)).order_by(col(Region.code))
                ).all()
            ]
        if as_json:
            echo_json(rows)
            return
        for row in rows:
            click.echo(f"{row['code']:<12} {row['level']:<9} {row['name']}")
