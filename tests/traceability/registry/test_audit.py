"""The audit log is append-only: writes add entries; the database refuses UPDATE and DELETE."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from traceability.audit import audit_context, record_audit
from traceability.auth.tokens import Principal
from traceability.db import get_engine, session_scope
from traceability.models import AuditEntry, ProducerStatus
from traceability.registry.pii import IdNumberVault
from traceability.registry.service import (
    ProducerInput,
    check_producer,
    register_producer,
    set_producer_status,
)

SUPERVISOR = Principal("user", "7", "township_supervisor", township_ids=(1,), name="lisi")


def test_suspending_a_producer_records_who_what_before_and_after(app: Flask) -> None:
    vault = IdNumberVault.from_config(app.config)
    with app.app_context(), session_scope(get_engine()) as session:
        with audit_context(remote_addr="10.0.0.8"):
            checked = check_producer(
                session,
                ProducerInput(
                    kind="smallholder",
                    name="张三",
                    id_number="11010519491231002X",
                    phone="13912345678",
                ),
            )
            producer = register_producer(session, checked, vault, principal=SUPERVISOR)
            set_producer_status(
                session,
                producer.id or 0,
                ProducerStatus.SUSPENDED,
                "抽检不合格",
                principal=SUPERVISOR,
            )
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
    assert [e.action for e in entries] == ["producer.create", "producer.suspend"]
    suspend = entries[-1]
    assert (suspend.actor, suspend.actor_name, suspend.role) == (
        "user:7",
        "lisi",
        "township_supervisor",
    )
    assert suspend.before == {"status": "active", "status_reason": None}
    assert suspend.after == {"status": "suspended", "status_reason": "抽检不合格"}
    assert suspend.remote_addr == "10.0.0.8"
    assert "11010519491231002X" not in str(entries[0].after)  # only the masked number


def test_a_failed_check_passes_only_with_a_supervisors_recorded_reason(app: Flask) -> None:
    from traceability.registry.service import ProducerInvalid

    vault = IdNumberVault.from_config(app.config)
    # well-formed, but the check character should be N (GB 32100): a licence as printed
    data = ProducerInput(
        kind="enterprise", name="厦门某公司", uscc="91350200MA2Y000010", phone="13912345678"
    )
    with app.app_context(), session_scope(get_engine()) as session:
        with pytest.raises(ProducerInvalid) as refused:
            check_producer(session, data)
        assert refused.value.overridable
        with pytest.raises(ProducerInvalid):
            check_producer(
                session, data, override_reason="营业执照原件核对无误", may_override=False
            )
        checked = check_producer(
            session, data, override_reason="营业执照原件核对无误", may_override=True
        )
        producer = register_producer(session, checked, vault, principal=SUPERVISOR)
        override = session.exec(
            select(AuditEntry).where(AuditEntry.action == "producer.check_override")
        ).one()
    assert producer.check_override_reason == "营业执照原件核对无误"
    assert override.reason == "营业执照原件核对无误"
    assert override.after == {"failed": ["uscc"]}


def test_the_database_refuses_to_change_or_delete_an_entry(app: Flask) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        record_audit(session, SUPERVISOR, "producer.create", object_type="producer", object_id=1)
    for statement in ("UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError), get_engine(app).begin() as connection:
            connection.execute(text(statement))
    with app.app_context(), session_scope(get_engine()) as session:
        assert session.exec(select(AuditEntry.action)).all() == ["producer.create"]


def test_the_app_offers_no_route_that_edits_or_deletes_audit_entries(app: Flask) -> None:
    audit_rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert sorted(r.rule for r in audit_rules) == ["/admin/audit", "/admin/audit/export"]
    assert all(r.methods and r.methods <= {"GET", "HEAD", "OPTIONS"} for r in audit_rules)
