"""`Idempotency-Key`: a retried request gets the first answer, never a second certificate.

The record is inserted first, in the same transaction as the work; a concurrent twin
blocks on the unique constraint until the first commits, then finds its answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from traceability.db import begin_write
from traceability.errors import Conflict, ValidationFailed
from traceability.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _stored(session: Session, principal: str, key: str) -> IdempotencyRecord | None:
    return session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    ).first()


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[int, dict[str, Any], bool]:
    if record.request_hash != fingerprint:
        raise ValidationFailed(
            "同一个 Idempotency-Key 已用于不同的请求内容。",
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_key_reused",
        )
    if not record.status_code:
        raise Conflict(
            "相同的请求正在处理中，请稍后重试。",
            "The same request is still in progress; retry shortly.",
        )
    return record.status_code, json.loads(record.response_body), True


def run_once(
    session: Session,
    *,
    principal: str,
    key: str,
    fingerprint: str,
    work: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """(status, body, replayed). `work` runs at most once per (principal, key)."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            "Idempotency-Key 必须是 1–200 个可打印字符。",
            "Idempotency-Key must be 1–200 printable characters.",
            code="invalid_idempotency_key",
        )
    begin_write(session)
    existing = _stored(session, principal, key)
    if existing is not None:
        result = _replay(existing, fingerprint)
        session.rollback()
        return result
    record = IdempotencyRecord(principal=principal, key=key, request_hash=fingerprint)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = _stored(session, principal, key)
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    try:
        status, body = work()
    except BaseException:
        session.rollback()
        raise
    record.status_code = status
    record.response_body = json.dumps(body, ensure_ascii=False, default=str)
    session.add(record)
    session.commit()
    return status, body, False


def answer_once(
    session: Session,
    *,
    principal: str,
    key: str | None,
    body: Any,
    work: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """`work` committed, or with an `Idempotency-Key` at most once per (principal, key).

    A request sent without a key runs as it comes; one with a key is answered from the
    stored first answer when it is a retry (a kiosk whose answer was lost on the way).
    """
    if key is None:
        status, answer = work()
        session.commit()
        return status, answer, False
    return run_once(
        session, principal=principal, key=key, fingerprint=request_fingerprint(body), work=work
    )
