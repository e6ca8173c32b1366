"""`traceability users …` and `traceability token list`."""

from __future__ import annotations

import sys

import click
from flask import Flask

from traceability.auth.tokens import ROLES
from traceability.cli_types import RECORD_ID


def township_ids_from(values: tuple[str, ...]) -> list[int]:
    """Townships by id or by 9-digit division code."""
    from traceability.db import get_session
    from traceability.regions.directory import TOWNSHIP_CODE_DIGITS, township_by_id_or_code

    ids: list[int] = []
    for value in values:
        if len(value) == TOWNSHIP_CODE_DIGITS and value.isdigit():
            region = township_by_id_or_code(get_session(), value)
            if region is None or region.id is None:
                raise click.BadParameter(f"no township with code {value}", param_hint="--township")
            ids.append(region.id)
        elif value.isdigit():
            ids.append(int(value))
        else:
            raise click.BadParameter(f"{value!r} is not a township id or code")
    return ids


def register(main: click.Group) -> None:
    """Attach the account commands to the main group (called at the end of traceability/cli.py)."""
    from traceability.cli import _fail, _session_scope, echo_json, with_app

    @main.group(help="Web users: roles and the tenant each role is scoped to.")
    def users() -> None:
        """Users."""

    @users.command("create", help="Create a user; the password is read from standard input.")
    @click.option("--username", required=True)
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--display-name", default="")
    @click.option("--producer-id", type=RECORD_ID, default=None, help="For producer users.")
    @click.option("--market-id", type=RECORD_ID, default=None, help="For market inspectors.")
    @click.option(
        "--township",
        "townships",
        multiple=True,
        help="For township supervisors: a township id or 9-digit code (repeatable).",
    )
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @with_app
    def users_create(
        app: Flask,
        username: str,
        role: str,
        display_name: str,
        producer_id: int | None,
        market_id: int | None,
        townships: tuple[str, ...],
        password_stdin: bool,
        as_json: bool,
    ) -> None:
        from traceability.accounts.service import UserInput, create_user
        from traceability.errors import DomainError

        if not password_stdin:
            raise click.UsageError("pass the password on standard input with --password-stdin")
        password = sys.stdin.readline().rstrip("\r\n")
        try:
            with _session_scope() as session:
                user = create_user(
                    session,
                    UserInput(
                        username=username,
                        role=role,
                        password=password,
                        display_name=display_name,
                        producer_id=producer_id,
                        market_id=market_id,
                        township_ids=township_ids_from(townships),
                    ),
                )
                data = {"id": user.id, "username": user.username, "role": user.role}
        except DomainError as exc:
            _fail(exc)
            return
        if as_json:
            echo_json(data)
        else:
            click.echo(f"created user {data['username']} (id {data['id']}, {data['role']})")

    @users.command("list", help="List users with their role, scope and state.")
    @click.option("--json", "as_json", is_flag=True)
    @with_app
    def users_list(app: Flask, as_json: bool) -> None:
        from traceability.accounts.service import list_users

        with _session_scope() as session:
            rows = [
                {
                    "id": u.id,
                    "username": u.username,
                    "role": u.role,
                    "producer_id": u.producer_id,
                    "market_id": u.market_id,
                    "township_ids": u.township_ids,
                    "active": u.active,
                }
                for u in list_users(session)
            ]
        if as_json:
            echo_json(rows)
            return
        for row in rows:
            state = "active" if row["active"] else "disabled"
            click.echo(f"{row['id']:>4}  {row['username']:<20} {row['role']:<20} {state}")

    @users.command("deactivate", help="Disable a user; its sessions end at the next request.")
    @click.argument("username")
    @with_app
    def users_deactivate(app: Flask, username: str) -> None:
        from sqlmodel import select

        from traceability.accounts.service import set_user_active
        from traceability.models import User

        with _session_scope() as session:
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None or user.id is None:
                raise click.ClickException(f"no user {username}")
            set_user_active(session, user.id, False)
        click.echo(f"deactivated {username}")

    token_group = main.commands["token"]
    assert isinstance(token_group, click.Group)

    @token_group.command("list", help="List tokens (never their secrets): role, scope, expiry.")
    @click.option("--json", "as_json", is_flag=True)
    @with_app
    def token_list(app: Flask, as_json: bool) -> None:
        from traceability.auth.tokens import list_tokens
        from traceability.models.types import utcnow

        now = utcnow()
        with _session_scope() as session:
            rows = []
            for t in list_tokens(session):
                expired = t.expires_at is not None and t.expires_at <= now
                state = "revoked" if t.revoked_at else "expired" if expired else "active"
                rows.append(
                    {
                        "id": t.id,
                        "name": t.name,
                        "prefix": f"trc_{t.prefix}_",
                        "role": t.role,
                        "producer_id": t.producer_id,
                        "market_id": t.market_id,
                        "township_ids": t.township_ids,
                        "expires_at": t.expires_at,
                        "last_used_at": t.last_used_at,
                        "state": state,
                    }
                )
        if as_json:
            echo_json(rows)
            return
        for row in rows:
            click.echo(
                f"{row['id']:>4}  {row['prefix']:<14} {row['role']:<20} {row['state']:<8} "
                f"{row['name']}"
            )
