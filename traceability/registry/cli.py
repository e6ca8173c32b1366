"""`traceability producers import FILE`: bulk registration with a progress bar and a report."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask


def register(main: click.Group) -> None:
    """Attach the registry commands to the main group (called at the end of traceability/cli.py)."""
    from traceability.cli import _fail, _session_scope, echo_json, with_app

    @main.group(help="The producer registry (生产主体名录).")
    def producers() -> None:
        """Producers."""

    @producers.command(
        "import",
        help="Import producers from CSV or XLSX. Bad rows are reported (in Chinese) and "
        "skipped; good rows are kept; producers already registered are not added again.",
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--report",
        "report_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the rows that were not imported, with reasons, to this CSV file.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the per-row result as JSON.")
    @with_app
    def producers_import(app: Flask, file: Path, report_path: Path | None, as_json: bool) -> None:
        from tqdm import tqdm

        from traceability.errors import DomainError
        from traceability.registry import importing
        from traceability.registry.pii import IdNumberVault

        try:
            total, rows = importing.read_rows(file.read_bytes(), file.name)
            bar = tqdm(total=total, unit="行", disable=as_json, file=sys.stderr)
            with _session_scope() as session:
                report = importing.import_producers(
                    session,
                    rows,
                    IdNumberVault.from_config(app.config),
                    on_row=lambda _outcome: bar.update(1),
                    source=file.name,
                )
            bar.close()
        except DomainError as exc:
            _fail(exc)
            return
        if report_path is not None:
            report_path.write_text(report.errors_csv(), encoding="utf-8-sig")
        if as_json:
            echo_json(
                {
                    "created": report.count("created"),
                    "duplicate": report.count("duplicate"),
                    "error": report.count("error"),
                    "rows": [
                        {
                            "row": o.row,
                            "status": o.status,
                            "name": o.name,
                            "producer_id": o.producer_id,
                            "messages": [m.zh for m in o.messages],
                            "messages_en": [m.en for m in o.messages],
                        }
                        for o in report.outcomes
                    ],
                }
            )
        else:
            for outcome in report.outcomes:
                if outcome.status != "created":
                    status = importing.STATUS_ZH[outcome.status]
                    click.echo(f"第{outcome.row}行 {outcome.name}：{status}。{outcome.text()}")
            click.echo(report.summary())
        # a row left out for an error fails the command, printed as JSON or not: a script
        # that reads only the exit status must not take a partial import for a whole one
        if report.count("error"):
            raise SystemExit(1)
