"""The print queue: claims come back unchanged, acknowledgements are idempotent, reprints are audited."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session, select

from traceability import keystore
from traceability.db import get_engine
from traceability.errors import Conflict
from traceability.issuing.service import IssueRequest, issue_certificate
from traceability.kiosk import jobs, terminals
from traceability.models import AuditEntry, Batch, PrintJob, Terminal


def _setup(app: Flask, session: Session) -> tuple[Terminal, PrintJob]:
    batch = session.exec(select(Batch)).first()
    assert batch is not None
    key = keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"])
    cert = issue_certificate(
        session,
        IssueRequest(
            producer_id=batch.producer_id,
            batch_id=batch.id,
            item_count=2,
            basis=["quality_control"],
            signature_confirmed=True,
        ),
        key,
    ).certificate
    registered = terminals.register_terminal(session, name="k1", township_id=None)
    job = jobs.enqueue_certificate(session, registered.terminal.id or 0, cert, requested_by="test")
    session.commit()
    return registered.terminal, job


def test_a_retried_claim_returns_the_same_job_and_token(app: Flask, demo: dict) -> None:
    with app.app_context(), Session(get_engine(), expire_on_commit=False) as session:
        terminal, job = _setup(app, session)
        first = jobs.claim_next(session, terminal)
        session.commit()
        again = jobs.claim_next(session, terminal)
    assert first is not None and again is not None
    assert (
        (first.id, first.claim_token)
        == (again.id, again.claim_token)
        == (job.id, first.claim_token)
    )
    assert again.attempts == 1


def test_acknowledging_twice_is_harmless_and_a_stale_token_is_refused(
    app: Flask, demo: dict
) -> None:
    with app.app_context(), Session(get_engine(), expire_on_commit=False) as session:
        terminal, job = _setup(app, session)
        claimed = jobs.claim_next(session, terminal)
        assert claimed is not None and claimed.claim_token
        jobs.acknowledge(session, terminal, job.id, claimed.claim_token, "printed")
        jobs.acknowledge(session, terminal, job.id, claimed.claim_token, "printed")
        session.commit()
        with pytest.raises(Conflict):
            jobs.acknowledge(session, terminal, job.id, "not-the-token", "printed")
        assert jobs.claim_next(session, terminal) is None
        assert jobs.get_job(session, job.id).state == "printed"


def test_nothing_sent_puts_the_job_back_in_the_queue(app: Flask, demo: dict) -> None:
    with app.app_context(), Session(get_engine(), expire_on_commit=False) as session:
        terminal, job = _setup(app, session)
        claimed = jobs.claim_next(session, terminal)
        assert claimed is not None and claimed.claim_token
        jobs.acknowledge(session, terminal, job.id, claimed.claim_token, "failed_before_send")
        session.commit()
        again = jobs.claim_next(session, terminal)
    assert again is not None and again.id == job.id and again.attempts == 2


def test_a_reprint_is_a_new_job_marked_in_the_audit_log(app: Flask, demo: dict) -> None:
    with app.app_context(), Session(get_engine(), expire_on_commit=False) as session:
        _, job = _setup(app, session)
        reprint = jobs.request_reprint(session, job.id, "标签被雨淋湿", requested_by="user:1")
        session.commit()
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == "print_job.reprint")
        ).all()
    assert reprint.kind == "reprint" and reprint.reprint_of == job.id and reprint.id != job.id
    assert len(entries) == 1 and entries[0].reason == "标签被雨淋湿"


def test_the_agent_payload_marks_reprinted_labels(app: Flask, demo: dict) -> None:
    with app.app_context(), Session(get_engine(), expire_on_commit=False) as session:
        terminal, job = _setup(app, session)
        reprint = jobs.request_reprint(session, job.id, "丢失", requested_by="user:1")
        payload = jobs.job_payload(session, reprint, terminal, "http://localhost")
        original = jobs.job_payload(session, job, terminal, "http://localhost")
    assert all(label["data"]["reprint"] for label in payload["labels"])
    assert not any(label["data"]["reprint"] for label in original["labels"])
    assert [label["data"]["sequence"] for label in payload["labels"][1:]] == ["1/2", "2/2"]
