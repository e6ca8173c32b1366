"""Who a case's history names: the person, token or terminal behind an actor key.

The domain functions record their actor by key ("user:5", "token:7", "device:3",
"cli:local"), which stays stable when a person renames themselves; a page shows the name
the key stands for today, in the page's language. A key whose account is gone, or that
names no account at all ("lab", "compliance"), is shown as stored; "package" (a reference
list's version from the shipped file) is named as such.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlmodel import Session, col, select

from traceability.models import ApiToken, User
from traceability.models.kiosk import Terminal
from traceability.translatable import N_

TOKEN_LABEL = N_("API 令牌“%(name)s”")
TERMINAL_LABEL = N_("终端“%(name)s”")
COMMAND_LINE = N_("命令行")
COMMAND_LINE_OPERATOR = N_("命令行（%(name)s）")
SHIPPED = N_("随软件发布")
# keys that name no account: a reference list's first version comes from the package's file
_NAMED_KEYS = {"package": SHIPPED}
# what `cli:<operator>` carries when no operator was named
_NAMELESS_CLI = {"local", "cli", ""}


def _ids(keys: Iterable[str], kind: str) -> set[int]:
    prefix = f"{kind}:"
    return {
        int(key[len(prefix) :])
        for key in keys
        if key.startswith(prefix) and key[len(prefix) :].isdecimal()
    }


def _names(session: Session, keys: set[str]) -> dict[str, str]:
    """The readable name of each key an account, token or terminal still stands behind."""
    found: dict[str, str] = {}
    if users := _ids(keys, "user"):
        people = session.exec(
            select(User.id, User.display_name, User.username).where(col(User.id).in_(users))
        ).all()
        found.update({f"user:{i}": shown or username for i, shown, username in people})
    if tokens := _ids(keys, "token"):
        named = session.exec(
            select(ApiToken.id, ApiToken.name).where(col(ApiToken.id).in_(tokens))
        ).all()
        found.update({f"token:{i}": _(TOKEN_LABEL, name=name) for i, name in named})
    if terminals := _ids(keys, "device"):
        kiosks = session.exec(
            select(Terminal.id, Terminal.name).where(col(Terminal.id).in_(terminals))
        ).all()
        found.update({f"device:{i}": _(TERMINAL_LABEL, name=name) for i, name in kiosks})
    return found


def _command_line(key: str) -> str:
    operator = key.removeprefix("cli:")
    if operator in _NAMELESS_CLI:
        return _(COMMAND_LINE)
    return _(COMMAND_LINE_OPERATOR, name=operator)


def actor_names(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Each actor key as a page shows it, looked up in one query per kind of account."""
    wanted = set(keys)
    names = _names(session, wanted)
    for key in wanted - names.keys():
        if key in _NAMED_KEYS:
            names[key] = _(_NAMED_KEYS[key])
        else:
            names[key] = _command_line(key) if key.startswith("cli:") else key
    return names
