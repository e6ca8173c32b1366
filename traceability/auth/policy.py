"""The one place that decides who may do what to which producer's records.

Views and commands ask `require(principal, action, producer_id)`; nothing else in the
code base compares roles or tenants.
"""

from __future__ import annotations

from traceability.auth.tokens import Principal
from traceability.errors import Forbidden

# action -> roles allowed for any producer; "producer" is allowed for its own records.
RULES: dict[str, set[str]] = {
    "certificate.issue": {"county_admin"},
    "certificate.read": {"county_admin", "township_supervisor"},
    "certificate.revoke": {"county_admin", "township_supervisor"},
    "batch.revoke": {"county_admin", "township_supervisor"},
    "certificate.print": {"county_admin", "township_supervisor"},
    "recall.create": {"county_admin", "township_supervisor"},
}
OWN_RECORD_ACTIONS = {
    "certificate.issue",
    "certificate.read",
    "certificate.revoke",
    "certificate.print",
}
# region-scoped actions: county admins everywhere, township supervisors in their townships
REGION_RULES: dict[str, set[str]] = {
    "terminal.manage": {"county_admin", "township_supervisor"},
    "terminal.view": {"county_admin", "township_supervisor"},
}


def allowed(principal: Principal, action: str, producer_id: int | None) -> bool:
    if principal.role in RULES.get(action, set()):
        return True
    return (
        principal.role in {"producer", "kiosk"}
        and action in OWN_RECORD_ACTIONS
        and principal.producer_id is not None
        and principal.producer_id == producer_id
    )


def require(principal: Principal, action: str, producer_id: int | None) -> None:
    if not allowed(principal, action, producer_id):
        raise Forbidden(
            "您无权对该生产主体的记录进行此操作。",
            "You may not do this for another producer's records.",
        )


def township_scope(principal: Principal) -> set[int] | None:
    """The townships a principal may see; None means every township (county level)."""
    if principal.role == "county_admin":
        return None
    return set(getattr(principal, "township_ids", None) or ())


def require_region(principal: Principal, action: str, township_id: int | None) -> None:
    """Region-scoped actions; `township_id=None` asks about the action in general."""
    scope = township_scope(principal)
    ok = principal.role in REGION_RULES.get(action, set()) and (
        scope is None or township_id is None or township_id in scope
    )
    if not ok:
        raise Forbidden("您无权管理该乡镇的终端。", "You may not manage this township's terminals.")


# market-scoped actions: an inspector acts for its own market; supervisors see every market
MARKET_RULES: dict[str, set[str]] = {
    "intake.record": set(),
    "intake.read": {"county_admin", "township_supervisor"},
}


def require_market(principal: Principal, action: str, market_id: int | None) -> None:
    own = (
        principal.role == "market_inspector"
        and principal.market_id is not None
        and principal.market_id == market_id
    )
    if not own and principal.role not in MARKET_RULES.get(action, set()):
        raise Forbidden("您无权查看或登记该市场的记录。", "You may not act for this market.")
