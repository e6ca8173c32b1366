"""`traceability market …`, `traceability recall …` and `traceability intake purge`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click
from flask import Flask

from traceability.cli_types import ISO_DATE, RECORD_ID

if TYPE_CHECKING:
    from sqlmodel import Session

    from traceability.models import Region


def register(main: click.Group) -> None:
    """Attach the intake commands to the main group (called at the end of traceability/cli.py)."""
    from traceability.cli import echo_json as show
    from traceability.cli import with_app as app_cmd

    def _region(session: Session, text: str) -> Region | None:
        """The division `--region` names by code or name; refused when it names none or
        several (a typo would otherwise file the market under a place that is not there)."""
        from traceability.regions.directory import regions_named

        if not text.strip():
            return None
        found = regions_named(session, text)
        if not found:
            raise click.BadParameter(
                f"没有代码或名称为“{text}”的行政区划（可用 traceability regions list 查看，"
                f"traceability regions import 导入） / no division has the code or name "
                f"{text!r} (see `traceability regions list`; load them with "
                "`traceability regions import`)",
                param_hint="--region",
            )
        if len(found) > 1:
            codes = ", ".join(r.code for r in found)
            raise click.BadParameter(
                f"名称“{text}”对应多个行政区划（{codes}），请改用代码 / "
                f"{text!r} names several divisions ({codes}): give its code",
                param_hint="--region",
            )
        return found[0]

    @main.group(help="Markets that receive produce and keep an intake ledger.")
    def market() -> None:
        """Markets."""

    @market.command("add", help="Register a market; prints its id.")
    @click.option("--name", required=True)
    @click.option(
        "--kind", type=click.Choice(["supermarket", "wholesale", "farmers_market"]), required=True
    )
    @click.option("--region", default="", help="A division's code (6, 9 or 12 digits) or name.")
    @click.option("--address", default="")
    @click.option("--contact", default="")
    @click.option("--phone", default="")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @app_cmd
    def market_add(
        app: Flask,
        name: str,
        kind: str,
        region: str,
        address: str,
        contact: str,
        phone: str,
        as_json: bool,
    ) -> None:
        from traceability.db import get_engine, session_scope
        from traceability.intake.markets import create_market

        with session_scope(get_engine()) as session:
            place = _region(session, region)
            made = create_market(
                session,
                name=name,
                kind=kind,
                region=place.name if place else "",
                region_id=place.id if place else None,
                address=address,
                contact=contact,
                phone=phone,
            )
            data = {
                "id": made.id,
                "name": made.name,
                "kind": made.kind,
                "region": made.region,
                "region_id": made.region_id,
            }
        if as_json:
            show(data)
        else:
            click.echo(f"market {data['id']}: {data['name']}")

    @main.group(help="Recall a batch, or a producer's certificates in a date range.")
    def recall() -> None:
        """Recalls."""

    def _report(app: Flask, made_id: int, as_json: bool) -> None:
        from traceability.db import get_engine, session_scope
        from traceability.intake import recall as recalls

        with session_scope(get_engine()) as session:
            made = recalls.get_recall(session, made_id)
            data = recalls.recall_dict(made, recalls.recall_report(session, made))
        if as_json:
            show(data)
            return
        click.echo(f"recall {data['id']}: {data['certificates']} certificate(s) revoked")
        for line in data["lines"]:
            seen = " [received by another market first: possibly a copied code]"
            click.echo(
                f"  {line['market']} ({line['contact']} {line['phone']}): "
                f"{line['certificate_number']} {line['product']} {line['items']} item(s), "
                f"{line['quantity']} {line['unit']}, {line['first_received_at']}"
                f"{seen if line['other_market'] else ''}"
            )

    @recall.command("batch", help="Revoke every certificate of a batch; list who received it.")
    @click.argument("batch_id", type=RECORD_ID)
    @click.option("--reason", required=True)
    @click.option("--json", "as_json", is_flag=True)
    @app_cmd
    def recall_batch(app: Flask, batch_id: int, reason: str, as_json: bool) -> None:
        from traceability.db import get_engine, session_scope
        from traceability.intake import recall as recalls

        with session_scope(get_engine()) as session:
            made_id = recalls.recall_batch(session, batch_id, reason, actor="cli").id or 0
        _report(app, made_id, as_json)

    @recall.command("producer", help="Revoke a producer's certificates issued in a date range.")
    @click.argument("producer_id", type=RECORD_ID)
    @click.option("--from", "date_from", type=ISO_DATE, required=True, help="First day issued.")
    @click.option("--to", "date_to", type=ISO_DATE, required=True, help="Last day issued.")
    @click.option("--reason", required=True)
    @click.option("--json", "as_json", is_flag=True)
    @app_cmd
    def recall_producer(
        app: Flask, producer_id: int, date_from: date, date_to: date, reason: str, as_json: bool
    ) -> None:
        from traceability.db import get_engine, session_scope
        from traceability.intake import recall as recalls

        with session_scope(get_engine()) as session:
            made = recalls.recall_producer(
                session,
                producer_id,
                date_from,
                date_to,
                reason,
                actor="cli",
            )
            made_id = made.id or 0
        _report(app, made_id, as_json)

    @main.group(help="The intake ledger (进货查验记录).")
    def intake() -> None:
        """Intake ledger."""

    @intake.command("purge", help="Delete ledger lines older than RECORD_RETENTION_DAYS.")
    @app_cmd
    def intake_purge(app: Flask) -> None:
        from traceability.db import get_engine, session_scope
        from traceability.intake.ledger import purge_expired

        days = int(app.config["RECORD_RETENTION_DAYS"])
        with session_scope(get_engine()) as session:
            count = purge_expired(session, days, home=app.config["TRACEABILITY_HOME"])
        click.echo(f"deleted {count} record(s) older than {days} days")
