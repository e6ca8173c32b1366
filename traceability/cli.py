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

from traceability.cli_types import RECORD_ID

F = TypeVar("F", bound=Callable[..., Any])


def _app() -> Flask:
    from traceability import create_app
    from traceability.config import SettingError
    from traceability.working_days import ScheduleFileError

    try:
        return create_app()
    except ScheduleFileError as exc:  # an admin's file: say which line, not a traceback
        raise click.ClickException(f"节假日安排文件有误 / holiday schedule file: {exc}") from None
    except SettingError as exc:  # a typo in the environment: name it, not a traceback
        raise click.ClickException(str(exc)) from None


def with_app(func: F) -> F:
    """Run the command inside an app context with a fresh app."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import DBAPIError

        from traceability.audit import CLI_PRINCIPAL, audit_context
        from traceability.errors import DomainError, database_unreachable

        app = _app()
        try:
            with app.app_context(), audit_context(CLI_PRINCIPAL):
                return func(app, *args, **kwargs)
        except DomainError as exc:  # a refusal (no such key, a passphrase that does not fit)
            raise click.ClickException(f"{exc.message_zh} / {exc.message_en}") from None
        except DBAPIError as exc:
            if not database_unreachable(exc):
                raise
            # the driver's own words say why (refused, no such host, password); they never
            # repeat the password itself
            raise click.ClickException(
                "无法连接数据库。请检查 DATABASE_URL 及数据库服务是否运行。"
                " / Cannot reach the database. Check DATABASE_URL and that the database"
                f" server is running.\n{str(exc.orig).strip()}"
            ) from None

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
    if report.get("accounts"):
        click.echo("demo accounts (demo data only) / 演示账号（仅供演示）: sign in at /login")
        for account in report["accounts"]:
            click.echo(f"  {account['username']:<10} {account['role']:<20} {account['password']}")
    if report.get("tests"):
        click.echo("demo rapid tests / 演示快检 (a failed one opens a case / 不合格即立案):")
        for test in report["tests"]:
            click.echo(f"  {test['sample_no']}  {test['result']:4}  {test['product']}")
    cards = report.get("kiosk_cards", [])
    if cards:
        click.echo(f"kiosk sign-in (demo PIN {cards[0]['pin']}): producer numbers "
                   + ", ".join(f"{c['producer_id']} {c['name']}" for c in cards))  # fmt: skip


def _require_cjk_font() -> None:
    """Labels need a CJK font: refuse to start rather than print empty boxes later."""
    from printers.errors import FontNotFoundError
    from printers.fonts import find_cjk_fonts

    try:
        find_cjk_fonts()
    except FontNotFoundError as exc:
        raise click.ClickException(f"{exc.message_zh}\n{exc.message_en}") from exc


@main.command(help="Serve the web service with gunicorn (the production server).")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT to listen on.")
@click.option(
    "--workers", type=int, default=None, help="Worker processes (default from gunicorn.conf.py)."
)
def serve(bind: str, workers: int | None) -> None:
    from traceability.migrate import PROJECT_ROOT

    # a bad setting is said here, once, not by each gunicorn worker in turn; so are
    # secrets that do not open this database's signing key or ID numbers
    _check_secrets_fit(_app())

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
    _require_cjk_font()
    click.echo(f"serving on http://{bind}")
    click.echo(f"  home page      {base}/")
    click.echo(f"  health         {base}/healthz")
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, args)


def _check_secrets_fit(app: Flask) -> None:
    """Refuse to serve with secrets that do not open what the database holds.

    A database that cannot be reached now is not a reason to stay down (requests get a
    503 until it is back), and one without a schema yet holds no secrets to check.
    """
    from sqlalchemy.exc import DBAPIError

    from traceability import migrate
    from traceability.db import get_engine
    from traceability.errors import DomainError, database_unreachable
    from traceability.setup import check_secrets

    engine = get_engine(app)
    try:
        with app.app_context():
            if migrate.current_revision(engine) is not None:
                check_secrets(app)
    except DomainError as exc:
        raise click.ClickException(f"{exc.message_zh} / {exc.message_en}") from None
    except DBAPIError as exc:
        if not database_unreachable(exc):
            raise
        click.echo(
            "无法连接数据库，暂未核对密钥；数据库恢复前请求将得到 503。"
            " / Cannot reach the database, so the keys were not checked; requests get a"
            " 503 until it is back.",
            err=True,
        )
    finally:
        engine.dispose()


def _session_scope():  # type: ignore[no-untyped-def]
    from traceability.db import get_engine, session_scope

    return session_scope(get_engine())


@main.group(help="API tokens for integrations (shown once, stored hashed).")
def token() -> None:
    """API tokens."""


@token.command("create", help="Create a token for a role (and a producer, for producer tokens).")
@click.option("--name", required=True, help="What the token is for, e.g. 'supermarket ERP'.")
@click.option(
    "--role",
    default="producer",
    show_default=True,
    help="county_admin, producer, market_inspector, …",
)
@click.option(
    "--producer-id", type=RECORD_ID, default=None, help="The producer a producer token acts for."
)
@click.option(
    "--market-id", type=RECORD_ID, default=None, help="The market a market_inspector checks for."
)
@click.option(
    "--township",
    "townships",
    multiple=True,
    help="For township_supervisor tokens: a township id or 9-digit code (repeatable).",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=365,
    show_default=True,
    help="Days until the token expires (1 to 3650, as on the accounts page).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_app
def token_create(
    app: Flask,
    name: str,
    role: str,
    producer_id: int | None,
    market_id: int | None,
    townships: tuple[str, ...],
    days: int,
    as_json: bool,
) -> None:
    from datetime import timedelta

    from traceability.accounts.cli import township_ids_from
    from traceability.auth.tokens import create_token
    from traceability.errors import DomainError

    try:
        with _session_scope() as session:
            record, secret = create_token(
                session,
                name=name,
                role=role,
                producer_id=producer_id,
                market_id=market_id,
                township_ids=township_ids_from(townships),
                expires_in=timedelta(days=days),
            )
            data = {
                "id": record.id,
                "role": role,
                "producer_id": producer_id,
                "market_id": market_id,
                "township_ids": list(record.township_ids or []),
                "token": secret,
                "expires_at": record.expires_at,
            }
    except DomainError as exc:
        _fail(exc)  # the refusal in both languages, not a traceback
        return
    if as_json:
        echo_json(data)
    else:
        click.echo(f"token (shown once, keep it safe / 仅显示一次): {secret}")


@token.command("revoke", help="Revoke a token by its id.")
@click.argument("token_id", type=RECORD_ID)
@with_app
def token_revoke(app: Flask, token_id: int) -> None:
    from traceability.auth.tokens import revoke_token
    from traceability.errors import DomainError

    try:
        with _session_scope() as session:
            revoke_token(session, token_id)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"token {token_id} revoked")


def _fail(exc: Exception) -> None:
    from traceability.errors import DomainError

    if isinstance(exc, DomainError):
        raise click.ClickException(f"{exc.message_zh} / {exc.message_en}") from exc
    raise exc


@main.command(help="Issue a certificate with N item codes (same rules as the API).")
@click.option("--producer-id", type=RECORD_ID, required=True)
@click.option("--batch-id", type=RECORD_ID, default=None)
@click.option("--product-id", type=RECORD_ID, default=None)
@click.option("--product-name", default=None)
@click.option("--quantity", default=None, help="Quantity (decimal); default: the batch's.")
@click.option("--unit", default=None, help="kg, 斤, 只, 箱, …; default: the batch's.")
@click.option("--origin", default=None, help="Place of origin; default: the batch's or producer's.")
@click.option(
    "--items", type=int, default=1, show_default=True, help="How many item codes (labels)."
)
@click.option(
    "--basis", multiple=True, help="Basis of the promise, e.g. quality_control (repeatable)."
)
@click.option(
    "--upstream", multiple=True, help="Upstream certificate number (style 2; repeatable)."
)
@click.option("--confirm-signature", is_flag=True, help="The issuer confirms signing the promise.")
@click.option(
    "--test-id",
    "test_ids",
    type=RECORD_ID,
    multiple=True,
    help="A test backing a tested basis (repeatable).",
)
@click.option(
    "--max-items", type=int, default=1_000_000, show_default=True, help="Upper bound for --items."
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the item codes as CSV (seq,serial,url) here instead of printing them; "
    "streams, so a million codes stay flat in memory.",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on for files)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the certificate and item URLs as JSON."
)
@with_app
def issue(
    app: Flask,
    producer_id: int,
    batch_id: int | None,
    product_id: int | None,
    product_name: str | None,
    quantity: str | None,
    unit: str | None,
    origin: str | None,
    items: int,
    basis: tuple[str, ...],
    upstream: tuple[str, ...],
    confirm_signature: bool,
    test_ids: tuple[int, ...],
    max_items: int,
    output: str | None,
    progress: bool | None,
    as_json: bool,
) -> None:
    import csv

    from tqdm import tqdm

    from traceability import keystore
    from traceability.codes import code_url
    from traceability.issuing.service import IssueRequest, issue_certificate
    from traceability.web.api import issued_body

    request = IssueRequest(
        producer_id=producer_id,
        batch_id=batch_id,
        product_id=product_id,
        product_name=product_name,
        quantity=quantity,
        unit=unit,
        origin_text=origin,
        item_count=items,
        basis=list(basis),
        upstream=list(upstream),
        signature_confirmed=confirm_signature,
        channel="cli",
        test_ids=list(test_ids),
    )
    base_url = app.config["PUBLIC_BASE_URL"]
    show_bar = progress if progress is not None else output is not None
    bar = tqdm(total=items, unit="code", disable=not show_bar, file=sys.stderr)
    handle = open(output, "w", newline="", encoding="utf-8") if output else None  # noqa: SIM115
    writer = csv.writer(handle) if handle else None
    written = 0

    def consume(chunk: list[Any]) -> None:
        nonlocal written
        if writer is not None:
            for code in chunk:
                written += 1
                writer.writerow([written, code.serial, code_url(base_url, code)])
        bar.update(len(chunk))

    try:
        if writer is not None:
            writer.writerow(["seq", "serial", "url"])
        with _session_scope() as session:
            key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
            issued = issue_certificate(
                session,
                request,
                key,
                max_items=max_items,
                keep_codes=output is None,
                on_codes=consume,
            )
            body = issued_body(issued, base_url)
    except Exception as exc:
        if handle is not None:
            handle.close()
        _fail(exc)
        return
    finally:
        bar.close()
    if handle is not None:
        handle.close()
        body["items_file"] = output
        body["item_count"] = written
    if as_json:
        echo_json(body)
    else:
        count = body.get("item_count", len(body["items"]))
        click.echo(f"issued {body['certificate']['number']} with {count} item codes")
        click.echo(output or body["items"][0]["url"])


@main.command(help="Revoke (作废) a certificate by number, or every certificate of a batch.")
@click.argument("number", required=False)
@click.option(
    "--batch-id", type=RECORD_ID, default=None, help="Revoke every certificate of this batch."
)
@click.option("--reason", required=True, help="Why (shown on the public page).")
@with_app
def revoke(app: Flask, number: str | None, batch_id: int | None, reason: str) -> None:
    from traceability.issuing.revocation import find_certificate, revoke_batch, revoke_certificate

    try:
        with _session_scope() as session:
            if batch_id is not None:
                done = [c.number for c in revoke_batch(session, batch_id, reason, actor="cli")]
            elif number:
                cert = find_certificate(session, number)
                done = (
                    [cert.number] if revoke_certificate(session, cert, reason, actor="cli") else []
                )
            else:
                raise click.UsageError("give a certificate NUMBER or --batch-id")
    except click.UsageError:
        raise
    except Exception as exc:
        _fail(exc)
        return
    click.echo(f"revoked: {', '.join(done) or 'nothing (already revoked)'}")


@main.command(
    help="Verify scanned text offline with published keys (no server needed). Exit status: "
    "0 genuine, with a current revocation list; 1 not genuine (revoked, forged, a key not in "
    "the key file: save /.well-known/jwks.json again after a key rotation) or the files "
    "cannot be read; 2 the signature is genuine but revocations are unknown or out of date."
)
@click.argument("text")
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="The JWK Set (saved from /.well-known/jwks.json).",
)
@click.option(
    "--revocations",
    "revocations_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The signed revocation list (saved from /.well-known/revocations.jws).",
)
@click.option(
    "--max-age",
    "max_age_hours",
    type=click.FloatRange(min=0, min_open=True),
    default=24.0,
    show_default=True,
    help="Hours a saved revocation list counts as current (from the file's modification time).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def verify(
    text: str,
    keys_file: str,
    revocations_file: str | None,
    max_age_hours: float,
    as_json: bool,
) -> None:
    """Exit 0: genuine, with a current revocation list; 1: not genuine (revoked, forged…);
    2: the signature is genuine but revocations are unknown or out of date."""
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from traceability.codes import CodeError, Verifier
    from traceability.codes.freshness import freshness

    try:
        jwks = json.loads(Path(keys_file).read_text("utf-8"))
        revocations = (
            Path(revocations_file).read_text("utf-8").strip() if revocations_file else None
        )
        verifier = Verifier(jwks, revocations)
        verdict = verifier.verify(text)
    except (CodeError, ValueError) as exc:
        raise click.ClickException(f"cannot load keys or revocations: {exc}") from exc
    saved = (
        datetime.fromtimestamp(Path(revocations_file).stat().st_mtime, UTC)
        if revocations_file
        else None
    )
    held = verifier.revocations
    fresh = freshness(held.version if held else None, saved, max_age=timedelta(hours=max_age_hours))
    warning = fresh.warning()
    if as_json:
        echo_json({**verdict.to_dict(), "revocations": fresh.to_dict()})
    else:
        click.echo(f"{verdict.status}: {verdict.message_zh} / {verdict.message_en}")
    if warning and verdict.genuine:
        click.echo(f"{warning[0]} / {warning[1]}", err=True)
    sys.exit(0 if verdict.genuine and warning is None else 2 if verdict.genuine else 1)


@main.group(help="Signing keys: list, rotate, retire, mark compromised.")
def keys() -> None:
    """Signing keys."""


@keys.command("list", help="List signing keys with their status.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@with_app
def keys_list(app: Flask, as_json: bool) -> None:
    from traceability import keystore

    with _session_scope() as session:
        rows = [
            {
                "kid": r.kid,
                "status": r.status,
                "created_at": r.created_at,
                "retired_at": r.retired_at,
                "compromised_since": r.compromised_since,
            }
            for r in keystore.all_keys(session)
        ]
    if as_json:
        echo_json(rows)
    else:
        for row in rows:
            click.echo(f"{row['kid']}  {row['status']:12} created {row['created_at']:%Y-%m-%d}")


@keys.command("rotate", help="Make a new active key; the old one keeps verifying.")
@with_app
def keys_rotate(app: Flask) -> None:
    from traceability import keystore

    with _session_scope() as session:
        record = keystore.rotate(session, app.config["SIGNING_KEY_PASSPHRASE"])
    click.echo(f"new active key {record.kid}")


@keys.command("retire", help="Stop signing with a key (its codes keep verifying).")
@click.argument("kid")
@with_app
def keys_retire(app: Flask, kid: str) -> None:
    from traceability import keystore

    with _session_scope() as session:
        keystore.retire(session, kid)
    click.echo(f"retired {kid.upper()}")


@keys.command("compromised", help="Mark a key compromised since a time; later codes read as such.")
@click.argument("kid")
@click.option(
    "--since", required=True, help="ISO-8601 time with zone, e.g. 2026-11-01T00:00:00+08:00"
)
@with_app
def keys_compromised(app: Flask, kid: str, since: str) -> None:
    from datetime import datetime

    from traceability import keystore
    from traceability.issuing.revocation import note_key_change

    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise click.BadParameter(
            "an ISO-8601 time with a time zone, e.g. 2026-11-01T00:00:00+08:00",
            param_hint="--since",
        )
    with _session_scope() as session:
        record = keystore.mark_compromised(session, kid, moment)
        note_key_change(session, record.kid, "key_compromised")
    click.echo(f"{kid.upper()} marked compromised since {moment.isoformat()}")


@main.command(help="Render the label of an issued code to a PNG file (full contact phone).")
@click.argument("code")
@click.option(
    "--layout", default="certificate-80x60", show_default=True, help="See `printers layouts`."
)
@click.option("--dpi", type=int, default=203, show_default=True, help="203 or 300.")
@click.option(
    "--output", type=click.Path(dir_okay=False, writable=True), required=True, help="PNG file."
)
@click.option("--reprint", is_flag=True, help="Mark the label 补打 (a second copy).")
@with_app
def label(app: Flask, code: str, layout: str, dpi: int, output: str, reprint: bool) -> None:
    from pathlib import Path

    from traceability.db import get_engine, get_session
    from traceability.labels import label_data, render_label_png
    from traceability.lookup.service import certificate_for_code

    try:
        session = get_session()
        database = get_engine().url.render_as_string(hide_password=True)
        certificate, signed = certificate_for_code(session, code, database=database)
        data = label_data(certificate, signed, app.config["PUBLIC_BASE_URL"], reprint=reprint)
        Path(output).write_bytes(render_label_png(data, layout, dpi))
    except Exception as exc:
        _fail(exc)
        return
    click.echo(f"wrote {output}")


def _register_intake() -> None:
    from traceability.intake.cli import register

    register(main)


_register_intake()


def _register_compliance() -> None:
    from traceability.compliance.cli import register

    register(main)


_register_compliance()


def _register_accounts() -> None:
    from traceability.accounts.cli import register as register_accounts
    from traceability.regions.cli import register as register_regions
    from traceability.registry.cli import register as register_registry

    register_accounts(main)
    register_registry(main)
    register_regions(main)


_register_accounts()


@main.group(help="Scan events of the public lookup (查询记录).")
def scans() -> None:
    """Scan events."""


@scans.command("purge", help="Delete scan events older than SCAN_RETENTION_DAYS.")
@with_app
def scans_purge(app: Flask) -> None:
    from traceability.db import get_engine
    from traceability.lookup.scan_retention import purge_scan_events

    days = int(app.config["SCAN_RETENTION_DAYS"])  # at least 1: config.NUMBERS
    count = purge_scan_events(get_engine(), days)
    click.echo(f"deleted {count} scan event(s) older than {days} days")


@main.group(help="Kiosks: register terminals, set producers' PINs, print producer cards.")
def kiosk() -> None:
    """Kiosk administration."""


@kiosk.command("register", help="Register a kiosk terminal; prints its one-time enrolment code.")
@click.option("--name", required=True)
@click.option("--township-id", type=RECORD_ID, default=None)
@click.option("--site", default="")
@click.option("--printer-model", default="", help="e.g. Gprinter GP-1324D")
@click.option("--driver", default="tspl", show_default=True, help="tspl, zpl, cpcl or escpos")
@click.option(
    "--certificate-layout",
    default="certificate-80x60",
    show_default=True,
    help="Printed once per job: certificate-80x60, certificate-100x70, label-60x40, receipt-58 …",
)
@click.option(
    "--item-layout",
    default="item-40x30",
    show_default=True,
    help="One per item code: item-40x30 or item-50x30.",
)
@click.option("--dpi", type=int, default=203, show_default=True, help="The print head: 203 or 300.")
@click.option("--json", "as_json", is_flag=True)
@with_app
def kiosk_register(
    app: Flask,
    name: str,
    township_id: int | None,
    site: str,
    printer_model: str,
    driver: str,
    certificate_layout: str,
    item_layout: str,
    dpi: int,
    as_json: bool,
) -> None:
    """The same checks as the API and /admin/kiosks/new (register_terminal): a refusal is one
    line, Chinese then English, and nothing is registered."""
    from traceability.kiosk.terminals import register_terminal

    try:
        with _session_scope() as session:
            registered = register_terminal(
                session,
                name=name,
                township_id=township_id,
                site=site,
                printer_model=printer_model,
                driver=driver,
                certificate_layout=certificate_layout,
                item_layout=item_layout,
                dpi=dpi,
            )
            data = {"id": registered.terminal.id, "enrolment_code": registered.enrolment_code}
    except Exception as exc:
        _fail(exc)
        return
    if as_json:
        echo_json(data)
    else:
        click.echo(f"terminal {data['id']}; enrolment code (shown once): {data['enrolment_code']}")


@kiosk.command(
    "edit",
    help="Change a registered kiosk (name, place, printer, layouts, dpi); options left out keep "
    "their values. The kiosk keeps its credential; the same checks as the admin page.",
)
@click.argument("terminal_id", type=RECORD_ID)
@click.option("--name", default=None)
@click.option("--township-id", type=RECORD_ID, default=None, help="Move it to this township.")
@click.option("--county-level", is_flag=True, help="Keep it at county level (no township).")
@click.option("--site", default=None)
@click.option("--printer-model", default=None)
@click.option("--driver", default=None, help="tspl, zpl, cpcl or escpos")
@click.option("--certificate-layout", default=None)
@click.option("--item-layout", default=None)
@click.option("--dpi", type=int, default=None, help="The print head: 203 or 300.")
@click.option("--json", "as_json", is_flag=True)
@with_app
def kiosk_edit(
    app: Flask,
    terminal_id: int,
    name: str | None,
    township_id: int | None,
    county_level: bool,
    site: str | None,
    printer_model: str | None,
    driver: str | None,
    certificate_layout: str | None,
    item_layout: str | None,
    dpi: int | None,
    as_json: bool,
) -> None:
    """`update_terminal` with the record's own values for what is not given, as
    `PATCH /api/v1/terminals/<id>` does; audited as the command line."""
    from traceability.kiosk.terminals import EDITABLE, editable_terminal, update_terminal

    if county_level and township_id is not None:
        raise click.UsageError(
            "--township-id 与 --county-level 只能选一个 / give --township-id or --county-level"
        )
    try:
        with _session_scope() as session:
            terminal = editable_terminal(session, terminal_id)
            before = {field: getattr(terminal, field) for field in EDITABLE}
            updated = update_terminal(
                session,
                terminal_id,
                name=terminal.name if name is None else name,
                township_id=None if county_level else (township_id or terminal.township_id),
                site=terminal.site if site is None else site,
                printer_model=terminal.printer_model if printer_model is None else printer_model,
                driver=driver or terminal.driver,
                certificate_layout=certificate_layout or terminal.certificate_layout,
                item_layout=item_layout or terminal.item_layout,
                dpi=terminal.dpi if dpi is None else dpi,
                actor="cli",
            )
            after = {field: getattr(updated, field) for field in EDITABLE}
    except Exception as exc:
        _fail(exc)
        return
    changed = {field: after[field] for field in EDITABLE if after[field] != before[field]}
    if as_json:
        echo_json({"id": terminal_id, **after, "changed": sorted(changed)})
    elif changed:
        click.echo(
            f"terminal {terminal_id}: "
            + ", ".join(f"{field} {before[field]} -> {value}" for field, value in changed.items())
        )
    else:
        click.echo(f"terminal {terminal_id}: nothing to change")


@kiosk.command("set-pin", help="Set a producer's kiosk PIN (read from standard input).")
@click.option("--producer-id", type=RECORD_ID, required=True)
@click.option("--pin-stdin", is_flag=True, required=True, help="Read the PIN from standard input.")
@with_app
def kiosk_set_pin(app: Flask, producer_id: int, pin_stdin: bool) -> None:
    from traceability.kiosk.signin import card_url, set_pin

    pin = sys.stdin.readline().strip()
    try:
        with _session_scope() as session:
            credential = set_pin(session, producer_id, pin)
            url = card_url(app.config["PUBLIC_BASE_URL"], credential)
    except Exception as exc:
        _fail(exc)
        return
    click.echo(f"PIN set; producer card code: {url}")


@kiosk.command("card", help="Render a producer's sign-in card (PNG, 85.6×54 mm at 300 dpi).")
@click.option("--producer-id", type=RECORD_ID, required=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_app
def kiosk_card(app: Flask, producer_id: int, output: str) -> None:
    from pathlib import Path

    from traceability.kiosk.card import render_card_png
    from traceability.models import Producer
    from traceability.models.producer_credential import ProducerCredential

    with _session_scope() as session:
        producer = session.get(Producer, producer_id)
        credential = session.get(ProducerCredential, producer_id)
        if producer is None or credential is None:
            raise click.ClickException("no such producer, or no PIN set yet (kiosk set-pin)")
        Path(output).write_bytes(
            render_card_png(producer, credential, app.config["PUBLIC_BASE_URL"])
        )
    click.echo(f"wrote {output}")


@main.group(help="Pre-printed code rolls (印刷激活): print codes now, activate them at issue.")
def rolls() -> None:
    """Pre-printed code rolls."""


@rolls.command("create", help="Sign a roll of codes; write them as CSV (and an A4 PDF of labels).")
@click.option("--count", type=int, required=True, help="How many codes.")
@click.option("--producer-id", type=RECORD_ID, default=None, help="The producer the roll is for.")
@click.option(
    "--output", type=click.Path(dir_okay=False, writable=True), required=True, help="CSV file."
)
@click.option("--pdf", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also an A4 PDF sheet of 40×30 mm labels (QR + 承诺达标合格证).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
@with_app
def rolls_create(
    app: Flask, count: int, producer_id: int | None, output: str, pdf: str | None, as_json: bool
) -> None:
    import csv

    from tqdm import tqdm

    from traceability import keystore
    from traceability.codes import code_url
    from traceability.issuing.rolls import create_roll

    base = app.config["PUBLIC_BASE_URL"]
    urls: list[str] = []
    bar = tqdm(total=count, unit="code", file=sys.stderr)
    try:
        with open(output, "w", newline="", encoding="utf-8") as handle, _session_scope() as session:
            writer = csv.writer(handle)
            writer.writerow(["seq", "serial", "url"])
            key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])

            def consume(chunk: list[Any]) -> None:
                for code in chunk:
                    url = code_url(base, code)
                    writer.writerow([len(urls) + 1, code.serial, url])
                    if pdf:
                        urls.append(url)
                    else:
                        urls.append("")
                bar.update(len(chunk))

            created = create_roll(
                session, count, key, producer_id=producer_id, keep_codes=False, on_codes=consume
            )
            group = created.roll.group_code
    except Exception as exc:
        _fail(exc)
        return
    finally:
        bar.close()
    if pdf:
        from pathlib import Path

        from printers import CertificateLabelData, build_label, render_pdf_sheet

        labels = [
            build_label("item-40x30", CertificateLabelData(product="扫码查看", qr_text=u))
            for u in urls
        ]
        Path(pdf).write_bytes(render_pdf_sheet(labels))
    data = {"group": group, "count": count, "csv": output, "pdf": pdf}
    if as_json:
        echo_json(data)
    else:
        click.echo(
            f"roll {group}: {count} codes written to {output}" + (f" and {pdf}" if pdf else "")
        )
