"""Audit entries for tests and 检打联动 cases, written through `traceability.audit`.

The domain functions name their actor by key ("user:5", "token:7"); when that is who the
request or command is acting for, the entry takes the principal itself, so the audit log
shows the person's name and role as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from traceability.audit import current_context, record_audit
from traceability.auth.tokens import Principal
from traceability.models.compliance import ComplianceCase, RapidTest


def acting(actor: str) -> Principal | str:
    """The current principal when it is `actor`, else the key as given."""
    principal = current_context().principal
    return principal if principal is not None and principal.key == actor else actor


def audit_test(session: Session, test: RapidTest, actor: str) -> None:
    """`test.record`: which test, on whose batch, with what result."""
    record_audit(
        session,
        acting(actor),
        "test.record",
        object_type="rapid_test",
        object_id=test.id,
        after={
            "method": test.method,
            "result": test.result,
            "producer_id": test.producer_id,
            "batch_id": test.batch_id,
            "product_id": test.product_id,
            "township_id": test.township_id,
            "retest_of_case": test.retest_of_case_id,
            "channel": test.channel,
        },
    )


def audit_case(
    session: Session,
    case: ComplianceCase,
    actor: str,
    action: str,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> None:
    """`case.<action>` on a case: its state and block after the change, and what changed."""
    record_audit(
        session,
        acting(actor),
        f"case.{action}",
        object_type="compliance_case",
        object_id=case.id,
        before=before,
        after={"state": case.state, "blocking": case.blocking, **(after or {})},
        reason=reason,
    )
