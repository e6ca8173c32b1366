"""The one place that decides who may do what to which records.

Views and commands ask this module; nothing else in the code base compares roles or
tenants. Three kinds of tenant scope exist:

- a producer (or a kiosk acting for one) acts only on its own producer's records;
- a township supervisor acts only on producers, terminals and markets in its townships;
- a market inspector acts only on its own market's ledger.

County admins act everywhere. Everything not granted here is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from traceability.auth.tokens import ROLES, Principal
from traceability.errors import Forbidden, ValidationFailed

COUNTY = "county_admin"
SUPERVISOR = "township_supervisor"

# producer-scoped actions -> roles allowed; supervisors only inside their townships.
RULES: dict[str, set[str]] = {
    "certificate.issue": {COUNTY},
    "certificate.read": {COUNTY, SUPERVISOR},
    "certificate.revoke": {COUNTY, SUPERVISOR},
    "batch.revoke": {COUNTY, SUPERVISOR},
    "certificate.print": {COUNTY, SUPERVISOR},
    "roll.create": {COUNTY},
    "producer.card": {COUNTY, SUPERVISOR},
    "recall.create": {COUNTY, SUPERVISOR},
    # the producer registry (生产主体名录)
    "producer.read": {COUNTY, SUPERVISOR, "rapid_test_operator"},
    "producer.edit": {COUNTY, SUPERVISOR},
    "producer.suspend": {COUNTY, SUPERVISOR},
    "base.manage": {COUNTY, SUPERVISOR},
    "product.manage": {COUNTY, SUPERVISOR},  # the products a kiosk offers: as for bases
    # compliance: production records, tests, 检打联动 cases, refusals, credit grades
    "production_record.write": {COUNTY, SUPERVISOR},
    "production_record.read": {COUNTY, SUPERVISOR},
    "test.record": {COUNTY, SUPERVISOR, "rapid_test_operator"},
    "test.read": {COUNTY, SUPERVISOR, "rapid_test_operator"},
    "case.read": {COUNTY, SUPERVISOR},
    "case.manage": {COUNTY, SUPERVISOR},
    "case.request_retest": {COUNTY, SUPERVISOR},
    "refusal.read": {COUNTY, SUPERVISOR},
    "credit.read": {COUNTY, SUPERVISOR},
}
# ... and these a producer (or a kiosk bound to one) may do for its own records
OWN_RECORD_ACTIONS = {
    "roll.create",
    "certificate.issue",
    "certificate.read",
    "certificate.revoke",
    "certificate.print",
    "producer.read",
    "base.manage",
    "product.manage",
    "production_record.write",
    "production_record.read",
    "test.record",  # 自行检测: a producer records its own tests
    "test.read",
    "case.read",
    "case.request_retest",
    "refusal.read",
}
# actions on no particular record: who may do them at all
GENERAL_RULES: dict[str, set[str]] = {
    "producer.list": {COUNTY, SUPERVISOR, "rapid_test_operator"},
    "certificate.list": {COUNTY, SUPERVISOR},  # a producer lists its own
    "producer.create": {COUNTY, SUPERVISOR},
    "producer.import": {COUNTY, SUPERVISOR},
    "registry.override_check": {COUNTY, SUPERVISOR},
    "user.manage": {COUNTY},
    "token.manage": {COUNTY},
    "audit.read": {COUNTY},
    "admin.enter": {COUNTY, SUPERVISOR, "rapid_test_operator", "producer"},
    "test.record": {COUNTY, SUPERVISOR, "rapid_test_operator"},  # samples of unknown sellers
    "compliance.supervise": {COUNTY, SUPERVISOR},  # cases, refusals, credit grades
    "recall.list": {COUNTY, SUPERVISOR},  # each its producers' recalls; starting one: recall.create
    "reference.read": {COUNTY, SUPERVISOR, "rapid_test_operator", "producer", "market_inspector"},
    "reference.manage": {COUNTY},
}
# region-scoped actions: county admins everywhere, township supervisors in their townships
REGION_RULES: dict[str, set[str]] = {
    "terminal.manage": {COUNTY, SUPERVISOR},
    "terminal.view": {COUNTY, SUPERVISOR},
    "producer.create": {COUNTY, SUPERVISOR},
}
# market-scoped actions: an inspector acts for its own market; supervisors see markets
# in their townships, county admins every market
MARKET_RULES: dict[str, set[str]] = {
    "intake.record": set(),
    "intake.read": {COUNTY, SUPERVISOR},
}

assert all(role in ROLES for rules in RULES.values() for role in rules)


def _session(session: Session | None) -> Session | None:
    """The caller's session, or the request's one when asked from a view."""
    if session is not None:
        return session
    from flask import has_app_context

    if not has_app_context():
        return None
    from traceability.db import get_session

    return get_session()


def township_of_producer(session: Session | None, producer_id: int | None) -> int | None:
    from traceability.registry.scope import township_of_producer as lookup

    db = _session(session)
    if db is None or producer_id is None:
        return None
    return lookup(db, producer_id)


def township_scope(principal: Principal) -> set[int] | None:
    """The townships a principal may see; None means every township (county level)."""
    if principal.role == COUNTY:
        return None
    return set(principal.township_ids)


def in_townships(principal: Principal, township_id: int | None) -> bool:
    """County-wide roles anywhere; a supervisor only in a known township of its own."""
    scope = township_scope(principal)
    return scope is None or (township_id is not None and township_id in scope)


def allowed(
    principal: Principal,
    action: str,
    producer_id: int | None,
    *,
    session: Session | None = None,
    sampled_in: int | None = None,
) -> bool:
    """May `principal` do `action` to the records of producer `producer_id`?

    A test or case of an unknown seller (`producer_id` None) belongs to the township where
    its sample was taken (`sampled_in`, the test's `township_id`): a supervisor of that
    township acts on it. Beside a producer `sampled_in` counts for nothing: the producer's
    township scopes its records, and a sample taken elsewhere must not widen that."""
    if principal.role == COUNTY and COUNTY in RULES.get(action, set()):
        return True
    if principal.role == SUPERVISOR and SUPERVISOR in RULES.get(action, set()):
        if producer_id is None:
            return in_townships(principal, sampled_in)
        return in_townships(principal, township_of_producer(session, producer_id))
    if principal.role in RULES.get(action, set()):
        return True
    return (
        principal.role in {"producer", "kiosk"}
        and action in OWN_RECORD_ACTIONS
        and principal.producer_id is not None
        and principal.producer_id == producer_id
    )


def allowed_producers(
    principal: Principal,
    action: str,
    producer_ids: Iterable[int],
    *,
    session: Session | None = None,
) -> set[int]:
    """The producers among `producer_ids` whose records `principal` may `action`: `allowed`
    for each, with a supervisor's townships looked up in one query, so a list costs the same
    whatever its length."""
    ids = set(producer_ids)
    if principal.role == SUPERVISOR and SUPERVISOR in RULES.get(action, set()):
        from traceability.registry.scope import townships_of_producers

        db = _session(session)
        townships = {} if db is None else townships_of_producers(db, ids)
        return {i for i in ids if in_townships(principal, townships.get(i))}
    return {i for i in ids if allowed(principal, action, i, session=session)}


def require(
    principal: Principal,
    action: str,
    producer_id: int | None,
    *,
    session: Session | None = None,
    sampled_in: int | None = None,
) -> None:
    if allowed(principal, action, producer_id, session=session, sampled_in=sampled_in):
        return
    if not may_for_some_producer(principal, action):
        # the role, not the record: a producer closing its own case is refused as a producer
        raise Forbidden(
            "您的角色无权进行此操作。", "Your role may not do this.", code="role_not_allowed"
        )
    if producer_id is None and principal.role == SUPERVISOR:
        raise outside_sampling_townships()
    raise Forbidden(
        "您无权对该生产主体的记录进行此操作。",
        "You may not do this for another producer's records.",
    )


def outside_sampling_townships() -> Forbidden:
    return Forbidden(
        "该样品不是在您辖区的乡镇抽取的（抽样地点所在乡镇），您无权进行此操作。",
        "This sample was not taken in one of your townships (the township where the sample "
        "was taken), so you may not do this.",
    )


def require_test_record(
    principal: Principal,
    producer_id: int | None,
    sampled_in: int | None,
    *,
    session: Session | None = None,
) -> None:
    """Recording a test: a producer's sample as that producer's records, an unknown
    seller's in the township where it was taken (so a supervisor names one of its own).
    A supervisor records only in its own townships: a township given beside a producer
    must be one of them too, though it widens nothing."""
    if producer_id is None and sampled_in is None and principal.role == SUPERVISOR:
        raise ValidationFailed(
            "登记来源不明样品的检测，请填写抽样地点所在乡镇（您辖区内的乡镇）。",
            "For a sample of an unknown seller, give the township where the sample was taken "
            "(one of your townships).",
            code="township_required",
            details={"field": "township"},
        )
    require(principal, "test.record", producer_id, session=session, sampled_in=sampled_in)
    # county-wide roles (and producers, for their own samples) record wherever it was taken
    outside = sampled_in is not None and not in_townships(principal, sampled_in)
    if outside and principal.role == SUPERVISOR:
        raise outside_sampling_townships()


def may_for_some_producer(principal: Principal, action: str) -> bool:
    """Whether `principal`'s role may do `action` to some producer's records (its own, or
    those of its townships): what tells "not your records" from "not your role"."""
    if principal.role in RULES.get(action, set()):
        return True
    return (
        principal.role in {"producer", "kiosk"}
        and action in OWN_RECORD_ACTIONS
        and principal.producer_id is not None
    )


def can(principal: Principal, action: str) -> bool:
    """May `principal` do `action` at all (on no record in particular)?"""
    return principal.role in GENERAL_RULES.get(action, set())


def require_general(principal: Principal, action: str) -> None:
    if not can(principal, action):
        raise Forbidden("您无权进行此操作。", "You are not allowed to do this.")


def can_region(principal: Principal, action: str) -> bool:
    """May `principal` do a region-scoped `action` in some township (its own, or any)?"""
    return principal.role in REGION_RULES.get(action, set())


def require_region(principal: Principal, action: str, township_id: int | None) -> None:
    """Region-scoped actions; `township_id=None` asks about the action in general."""
    scope = township_scope(principal)
    ok = principal.role in REGION_RULES.get(action, set()) and (
        scope is None or township_id is None or township_id in scope
    )
    if not ok:
        raise Forbidden("您无权管理该乡镇的记录。", "You may not act for this township.")


def require_township(principal: Principal, action: str, township_id: int | None) -> None:
    """Placing a record in a township (registering a producer there, for instance)."""
    if principal.role not in REGION_RULES.get(action, set()) or not in_townships(
        principal, township_id
    ):
        raise Forbidden(
            "您无权在该乡镇登记或修改记录。",
            "You may not register or change records in this township.",
        )


def require_market(
    principal: Principal, action: str, market_id: int | None, *, session: Session | None = None
) -> None:
    own = (
        principal.role == "market_inspector"
        and principal.market_id is not None
        and principal.market_id == market_id
    )
    ok = own or (principal.role == COUNTY and COUNTY in MARKET_RULES.get(action, set()))
    if not ok and principal.role == SUPERVISOR and SUPERVISOR in MARKET_RULES.get(action, set()):
        ok = market_id is None or in_townships(principal, _township_of_market(session, market_id))
    if not ok:
        raise Forbidden("您无权查看或登记该市场的记录。", "You may not act for this market.")


def readable_markets(
    principal: Principal, action: str, *, session: Session | None = None
) -> set[int] | None:
    """The markets whose records `principal` may `action`, for lists across markets: None
    means every market (county level); a supervisor's are those in its townships."""
    if principal.role == COUNTY and COUNTY in MARKET_RULES.get(action, set()):
        return None
    if principal.role == SUPERVISOR and SUPERVISOR in MARKET_RULES.get(action, set()):
        from traceability.registry.scope import markets_within

        db = _session(session)
        return set() if db is None else markets_within(db, set(principal.township_ids))
    if principal.role == "market_inspector" and principal.market_id is not None:
        return {principal.market_id}
    return set()


def _township_of_market(session: Session | None, market_id: int) -> int | None:
    from traceability.registry.scope import township_of_market

    db = _session(session)
    return None if db is None else township_of_market(db, market_id)
