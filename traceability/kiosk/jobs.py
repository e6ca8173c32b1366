"""The print queue: queued → claimed → printed | uncertain | failed (retry, cancel, reprint).

Exactly once means *at most once automatically*: the server re-delivers a claimed job
to the same terminal with the same claim token (a retried claim after a network cut),
and the agent's journal refuses to print a job it already started. Only a person asks
for a second copy, and that copy is a new job marked 补打 (reprint).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from traceability.audit import record_audit
from traceability.codes import ItemCode as SignedCode
from traceability.errors import Conflict, NotFound, ValidationFailed
from traceability.labels import label_data
from traceability.models import Certificate, ItemCode, JobState, PrintJob, Terminal
from traceability.models.types import utcnow

FINAL = {JobState.PRINTED, JobState.UNCERTAIN, JobState.FAILED, JobState.CANCELLED}
OUTCOMES = {
    "printed": JobState.PRINTED,
    "sent": JobState.PRINTED,  # one-way printers cannot prove more; recorded in `outcome`
    "uncertain": JobState.UNCERTAIN,
    "failed": JobState.FAILED,
    "failed_before_send": JobState.QUEUED,  # nothing left the kiosk: safe to try again
}
MAX_ITEMS_PER_JOB = 10_000


def enqueue_certificate(
    session: Session,
    terminal_id: int,
    certificate: Certificate,
    *,
    include_certificate: bool = True,
    first_item: int = 1,
    last_item: int | None = None,
    requested_by: str | None = None,
) -> PrintJob:
    """Queue the full certificate and its item labels for one kiosk."""
    terminal = session.get(Terminal, terminal_id)
    if terminal is None or terminal.revoked_at is not None:
        raise NotFound("找不到该终端。", "No such terminal.", code="terminal_not_found")
    last = certificate.item_count if last_item is None else last_item
    if (
        not 1 <= first_item <= last <= certificate.item_count
        or last - first_item >= MAX_ITEMS_PER_JOB
    ):
        raise ValidationFailed(
            f"标签范围须在 1 到 {certificate.item_count} 之间。",
            f"The label range must lie within 1..{certificate.item_count}.",
            code="invalid_range",
        )
    job = PrintJob(
        id=str(uuid.uuid4()),
        terminal_id=terminal_id,
        certificate_id=certificate.id or 0,
        include_certificate=include_certificate,
        first_item=first_item,
        last_item=last,
        requested_by=requested_by,
    )
    session.add(job)
    session.flush()
    record_audit(
        session, requested_by, "print_job.queue", object_type="print_job", object_id=job.id,
        after={"terminal": terminal_id, "certificate": certificate.number,
               "items": [first_item, last]},
    )  # fmt: skip
    return job


def get_job(session: Session, job_id: str) -> PrintJob:
    job = session.get(PrintJob, job_id)
    if job is None:
        raise NotFound("找不到该打印任务。", "No such print job.", code="job_not_found")
    return job


def request_reprint(
    session: Session, job_id: str, reason: str, *, requested_by: str | None
) -> PrintJob:
    """A person asks for a second copy: a new job whose labels say 补打."""
    original = get_job(session, job_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "补打须填写原因。", "A reprint needs a reason.", code="reason_required"
        )
    job = PrintJob(
        id=str(uuid.uuid4()),
        terminal_id=original.terminal_id,
        certificate_id=original.certificate_id,
        include_certificate=original.include_certificate,
        first_item=original.first_item,
        last_item=original.last_item,
        kind="reprint",
        reprint_of=original.id,
        reason=reason[:300],
        requested_by=requested_by,
    )
    session.add(job)
    session.flush()
    record_audit(
        session, requested_by, "print_job.reprint", object_type="print_job", object_id=job.id,
        after={"kind": "reprint", "reprint_of": original.id, "label_mark": "补打"}, reason=reason,
    )  # fmt: skip
    return job


def cancel(session: Session, job_id: str) -> PrintJob:
    job = get_job(session, job_id)
    if job.state in (JobState.QUEUED, JobState.CLAIMED):
        job.state = JobState.CANCELLED
        job.finished_at = utcnow()
        session.add(job)
        record_audit(session, None, "print_job.cancel", object_type="print_job", object_id=job.id)
    return job


def claim_next(
    session: Session, terminal: Terminal, *, now: datetime | None = None
) -> PrintJob | None:
    """The terminal's next job. A job it already claimed comes back first, unchanged."""
    claimed = session.exec(
        select(PrintJob)
        .where(PrintJob.terminal_id == terminal.id, PrintJob.state == JobState.CLAIMED)
        .order_by(col(PrintJob.created_at))
    ).first()
    if claimed is not None:
        return claimed
    now = now or utcnow()
    candidates = session.exec(
        select(PrintJob.id)
        .where(PrintJob.terminal_id == terminal.id, PrintJob.state == JobState.QUEUED)
        .order_by(col(PrintJob.created_at))
        .limit(5)
    ).all()
    for job_id in candidates:
        token = secrets.token_hex(16)
        result = session.execute(
            update(PrintJob)
            .where(col(PrintJob.id) == job_id, col(PrintJob.state) == JobState.QUEUED)
            .values(
                state=JobState.CLAIMED,
                claim_token=token,
                claimed_at=now,
                attempts=PrintJob.attempts + 1,
            )
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            session.flush()
            job = session.get(PrintJob, job_id)
            if job is not None:
                session.refresh(job)
            return job
    return None


def _check_token(job: PrintJob, terminal: Terminal, token: str) -> None:
    if job.terminal_id != terminal.id:
        raise NotFound("找不到该打印任务。", "No such print job.", code="job_not_found")
    if not job.claim_token or not secrets.compare_digest(job.claim_token, token or ""):
        raise Conflict(
            "打印任务已被重新分配，本次结果不予记录。",
            "The job was re-assigned; this result is not recorded.",
            code="stale_claim",
        )


def report_waiting(
    session: Session, terminal: Terminal, job_id: str, token: str, reasons: list[str]
) -> PrintJob:
    """The printer cannot print now (paper out…): the job waits, and says why."""
    job = get_job(session, job_id)
    _check_token(job, terminal, token)
    job.waiting_reasons = [str(r)[:40] for r in reasons[:10]]
    session.add(job)
    return job


def acknowledge(
    session: Session,
    terminal: Terminal,
    job_id: str,
    token: str,
    outcome: str,
    *,
    error: str | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> PrintJob:
    """Record what the agent did. Repeating the same acknowledgement is harmless."""
    job = get_job(session, job_id)
    _check_token(job, terminal, token)
    if outcome not in OUTCOMES:
        raise ValidationFailed(
            f"未知结果 {outcome}。", f"Unknown outcome {outcome!r}.", code="invalid_outcome"
        )
    if job.state in FINAL:
        return job
    state = OUTCOMES[outcome]
    job.state = state
    job.outcome = outcome
    job.error = (error or "")[:500] or None
    job.detail = detail or {}
    job.waiting_reasons = []
    if state == JobState.QUEUED:
        job.claim_token = None
    else:
        job.finished_at = now or utcnow()
    session.add(job)
    record_audit(
        session, f"device:{terminal.id}", f"print_job.{outcome}", object_type="print_job",
        object_id=job.id, after={"state": job.state, "error": job.error}, terminal=str(terminal.id),
    )  # fmt: skip
    return job


def job_payload(
    session: Session, job: PrintJob, terminal: Terminal, base_url: str
) -> dict[str, Any]:
    """Everything the agent needs to print, as plain data (the agent has no database)."""
    certificate = session.get(Certificate, job.certificate_id)
    assert certificate is not None
    items = session.exec(
        select(ItemCode)
        .where(
            ItemCode.certificate_id == certificate.id,
            col(ItemCode.seq) >= job.first_item,
            col(ItemCode.seq) <= job.last_item,
        )
        .order_by(col(ItemCode.seq))
    ).all()
    reprint = job.kind == "reprint"
    labels: list[dict[str, Any]] = []
    codes = {item.seq: _signed(item, certificate) for item in items}
    if job.include_certificate and codes:
        first = codes[min(codes)]
        labels.append(
            _label(
                terminal.certificate_layout,
                terminal.dpi,
                label_data(certificate, first, base_url, reprint=reprint),
            )
        )
    for seq, code in codes.items():
        data = label_data(
            certificate, code, base_url, sequence=f"{seq}/{certificate.item_count}", reprint=reprint
        )
        labels.append(_label(terminal.item_layout, terminal.dpi, data))
    return {
        "id": job.id,
        "claim_token": job.claim_token,
        "kind": job.kind,
        "certificate": certificate.number,
        "driver": terminal.driver,
        "labels": labels,
    }


def _signed(item: ItemCode, certificate: Certificate) -> SignedCode:
    # The group is the serial's first part: a certificate's code, or a pre-printed roll's.
    return SignedCode(item.serial[:10], item.serial[10:], item.kid, item.signature)


def _label(layout: str, dpi: int, data: Any) -> dict[str, Any]:
    from dataclasses import asdict

    fields = asdict(data)
    fields["basis"] = list(fields["basis"])
    return {"layout": layout, "dpi": dpi, "data": fields}
