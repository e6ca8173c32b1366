"""Which staff pages a signed-in person is offered a link to.

A link that answers 403 is a dead end: a rapid test operator landed on the admin page
with six menu entries it may not open and none to the test form it came for. Each page
here is offered on the same rule (`auth.policy`) its view enforces, so the menus, the
landing page's cards and the views cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from traceability.auth import policy
from traceability.auth.sessions import session_principal
from traceability.auth.tokens import Principal


def _producer(principal: Principal) -> bool:
    return principal.role == "producer" and principal.producer_id is not None


def _general(action: str) -> Callable[[Principal], bool]:
    return lambda principal: policy.can(principal, action)


def _own_or(action: str) -> Callable[[Principal], bool]:
    """A producer's own records, or anyone's a role may `action`."""
    return lambda principal: _producer(principal) or policy.can(principal, action)


PAGES: dict[str, Callable[[Principal], bool]] = {
    "admin.index": _general("admin.enter"),
    "admin.producers": _general("producer.list"),
    "admin.producer_new": _general("producer.create"),
    "admin.producer_import": _general("producer.import"),
    # a producer's web account issues on the phone page, signed in already
    "kiosk.phone": _producer,
    "admin.certificates": _own_or("certificate.list"),
    "admin.recalls": _general("recall.list"),
    "admin.users": _general("user.manage"),
    "admin.tokens": _general("token.manage"),
    "admin.audit": _general("audit.read"),
    "admin.kiosks": lambda principal: policy.can_region(principal, "terminal.view"),
    "supervision.overview": _general("compliance.supervise"),
    # the compliance pages open with their own menu; a market inspector reads the lists
    "compliance.index": lambda p: policy.can(p, "admin.enter") or policy.can(p, "reference.read"),
    "compliance.records": _own_or("compliance.supervise"),
    "compliance.tests": _own_or("test.record"),
    "compliance.cases": _general("compliance.supervise"),
    "compliance.refusal_list": _own_or("compliance.supervise"),
    "compliance.credit": _general("compliance.supervise"),
    "compliance.reference_lists": _general("reference.read"),
}


def may_open(principal: Principal | None, endpoint: str) -> bool:
    """Whether `principal` is offered a link to the page at `endpoint` (unknown: never)."""
    rule = PAGES.get(endpoint)
    return principal is not None and rule is not None and rule(principal)


def offered(endpoint: str) -> bool:
    """`may_open` for the person signed in to this request: templates' `may_open(...)`."""
    return may_open(session_principal(), endpoint)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["may_open"] = offered
