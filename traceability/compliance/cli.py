"""`traceability tests …` and `traceability reference …`: instrument CSVs and reference lists."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from traceability.cli_types import RECORD_ID


def register(main: click.Group) -> None:
    from traceability.cli import _fail, _session_scope, echo_json, with_app

    @main.group(help="Rapid tests (快速检测) and lab reports.")
    def tests() -> None:
        """Rapid tests."""

    @tests.command(
        "import",
        help="Import an instrument's CSV (sample_no, producer_id, batch_id, product_name, place, "
        "method, inhibition_rate, target, result, operator, instrument, tested_at, lab_name, "
        "report_no, submission_id, township: where the sample was taken, a township's id or "
        "9-digit code; Chinese headers too). All rows or none.",
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option(
        "--operator", "recorded_by", default="cli", help="Who imports (kept on each row)."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @with_app
    def tests_import(app: Flask, file: str, recorded_by: str, as_json: bool) -> None:
        from traceability.compliance.testing import import_csv, test_dict

        text = Path(file).read_bytes().decode("utf-8-sig")
        try:
            with _session_scope() as session:
                report = import_csv(session, text, recorded_by=f"cli:{recorded_by}")
                imported = [test_dict(t) for t in report.imported]
        except Exception as exc:
            _fail(exc)
            return
        if report.errors:
            for line, message in report.errors:
                click.echo(f"line {line}: {message}", err=True)
            raise click.ClickException(
                f"{len(report.errors)} invalid row(s); nothing imported / 有无效行，未导入"
            )
        if as_json:
            echo_json({"imported": imported})
            return
        failed = sum(1 for t in imported if t["result"] == "fail")
        click.echo(f"imported {len(imported)} test(s), {failed} failed / 导入 {len(imported)} 条")

    @tests.command(
        "attach",
        help="Attach a lab report file (PDF, JPEG or PNG, at most LAB_REPORT_MAX_BYTES) to the "
        "lab-report test TEST_ID; it is stored in the database with the test.",
    )
    @click.argument("test_id", type=RECORD_ID)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--operator", "uploaded_by", default="cli", help="Who attaches (kept).")
    @click.option("--json", "as_json", is_flag=True, help="Print the stored file as JSON.")
    @with_app
    def tests_attach(app: Flask, test_id: int, file: str, uploaded_by: str, as_json: bool) -> None:
        from traceability.compliance.lab_reports import attach_report, read_capped
        from traceability.errors import NotFound
        from traceability.models.compliance import RapidTest

        limit = int(app.config["LAB_REPORT_MAX_BYTES"])
        with Path(file).open("rb") as handle:
            data = read_capped(handle, limit)
        try:
            with _session_scope() as session:
                test = session.get(RapidTest, test_id)
                if test is None:
                    raise NotFound("找不到该检测记录。", "No such test.", code="test_not_found")
                stored = attach_report(
                    session,
                    test,
                    data,
                    Path(file).name,
                    uploaded_by=f"cli:{uploaded_by}",
                    max_bytes=limit,
                )
                body = {
                    "id": stored.id,
                    "test_id": test_id,
                    "filename": stored.filename,
                    "content_type": stored.content_type,
                    "size": stored.size,
                    "sha256": stored.sha256,
                }
        except Exception as exc:
            _fail(exc)
            return
        if as_json:
            echo_json(body)
            return
        click.echo(
            f"attached {body['filename']} ({body['size']} bytes) to T{test_id} / 已附加检测报告"
        )

    @main.group(help="Reference lists: banned pesticides, veterinary drugs, additives, intervals.")
    def reference() -> None:
        """Reference lists."""

    @reference.command("load", help="Load the shipped lists that are not in the database yet.")
    @with_app
    def reference_load(app: Flask) -> None:
        from traceability.compliance import reference as ref
        from traceability.models.compliance import ReferenceKind

        with _session_scope() as session:
            ref.ensure_loaded(session)
            labels = [ref.current_version(session, kind).label for kind in ReferenceKind]
        click.echo("\n".join(labels))

    @reference.command("show", help="Show one list with its version and source.")
    @click.argument("kind", type=click.Choice(["pesticide", "veterinary", "additive", "interval"]))
    @click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
    @with_app
    def reference_show(app: Flask, kind: str, as_json: bool) -> None:
        from traceability.compliance.api import reference_body
        from traceability.models.compliance import ReferenceKind

        with _session_scope() as session:
            body = reference_body(session, ReferenceKind(kind))
        if as_json:
            echo_json(body)
            return
        click.echo(f"{body['title']} — {body['version']}\n{body['source']}")
        for entry in body["entries"]:
            name = entry.get("substance_zh") or entry.get("substance")
            click.echo(f"  {entry['id']:4} {name}  [{entry.get('verified')}]")
