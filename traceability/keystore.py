"""Signing keys kept in the database, private halves encrypted with the configured passphrase.

One key is active and signs new codes; rotation retires it (its codes still verify);
a key marked compromised since T makes codes it signed after T read as such.
Decrypted keys are cached per process: decryption is deliberately slow (KDF).
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime

from sqlmodel import Session, col, select

from traceability.codes import (
    KeyMaterialError,
    KeyRing,
    PublicKey,
    SigningKey,
    encrypt_private_key,
    generate_signing_key,
    jwk_set,
    load_private_key,
)
from traceability.codes.keys import public_key_from_raw
from traceability.errors import DomainError, NotFound
from traceability.models import KeyStatus, SigningKeyRecord
from traceability.models.types import utcnow

_cache_lock = threading.Lock()
_decrypted: dict[tuple[str, bytes, bytes], SigningKey] = {}


class NoActiveKey(DomainError):
    status = 503
    code = "no_signing_key"


class SigningKeyUnusable(DomainError):
    """The passphrase does not open a stored key: the settings and the database do not
    belong together (a restore with another settings file, a changed passphrase)."""

    status = 503
    code = "signing_key_unusable"


def _decrypt(record: SigningKeyRecord, passphrase: str) -> SigningKey:
    # the passphrase is part of the key: a cached key is given only to the passphrase
    # that opened it, so a check of another passphrase in the same process is real
    cache_key = (
        record.kid,
        record.private_key_encrypted,
        hashlib.sha256(passphrase.encode()).digest(),
    )
    with _cache_lock:
        cached = _decrypted.get(cache_key)
    if cached is not None:
        return cached
    try:
        key = load_private_key(record.private_key_encrypted, passphrase)
    except KeyMaterialError:
        raise SigningKeyUnusable(
            f"SIGNING_KEY_PASSPHRASE 无法解开签名密钥 {record.kid}：请使用与此数据库配套的设置文件"
            "（恢复备份时一并恢复）。",
            f"SIGNING_KEY_PASSPHRASE does not open signing key {record.kid}: use the settings"
            " file that belongs to this database (restore it with the backup).",
        ) from None
    with _cache_lock:
        _decrypted[cache_key] = key
    return key


def create_key(session: Session, passphrase: str) -> SigningKeyRecord:
    """Generate a new active key, making any previously active key retired.

    The passphrase must open the active key first: a new key sealed with a mistyped or
    foreign passphrase would leave the database with keys no one setting opens.
    """
    check_active_key(session, passphrase)
    existing = {r.kid for r in session.exec(select(SigningKeyRecord)).all()}
    key = generate_signing_key(avoid_kids=existing)
    now = utcnow()
    for record in session.exec(
        select(SigningKeyRecord).where(SigningKeyRecord.status == KeyStatus.ACTIVE)
    ).all():
        record.status = KeyStatus.RETIRED
        record.retired_at = now
        session.add(record)
    record = SigningKeyRecord(
        kid=key.kid,
        public_key=key.public.raw,
        private_key_encrypted=encrypt_private_key(key, passphrase),
        status=KeyStatus.ACTIVE,
        created_at=now,
    )
    session.add(record)
    session.flush()
    return record


def check_active_key(session: Session, passphrase: str) -> SigningKeyRecord | None:
    """The active key, if any, once the passphrase is shown to open it (else refused)."""
    record = session.exec(
        select(SigningKeyRecord).where(SigningKeyRecord.status == KeyStatus.ACTIVE)
    ).first()
    if record is not None:
        _decrypt(record, passphrase)
    return record


def ensure_active_key(session: Session, passphrase: str) -> SigningKeyRecord:
    """The active key, created on first use (set-up calls this); refused when the
    passphrase does not open it, so a set-up never reports ready what cannot sign."""
    return check_active_key(session, passphrase) or create_key(session, passphrase)


def active_signing_key(session: Session, passphrase: str) -> SigningKey:
    record = session.exec(
        select(SigningKeyRecord).where(SigningKeyRecord.status == KeyStatus.ACTIVE)
    ).first()
    if record is None:
        raise NoActiveKey(
            "没有可用的签名密钥，请管理员运行 traceability init 或 keys rotate。",
            "No active signing key; an administrator must run `traceability init` "
            "or `keys rotate`.",
        )
    return _decrypt(record, passphrase)


def rotate(session: Session, passphrase: str) -> SigningKeyRecord:
    return create_key(session, passphrase)


def _get(session: Session, kid: str) -> SigningKeyRecord:
    record = session.get(SigningKeyRecord, kid.upper())
    if record is None:
        raise NotFound(f"没有编号为 {kid} 的密钥。", f"No key with id {kid}.")
    return record


def retire(session: Session, kid: str) -> SigningKeyRecord:
    """Stop signing with `kid`; codes it signed keep verifying."""
    record = _get(session, kid)
    if record.status == KeyStatus.ACTIVE:
        record.status = KeyStatus.RETIRED
        record.retired_at = utcnow()
        session.add(record)
    return record


def mark_compromised(session: Session, kid: str, since: datetime) -> SigningKeyRecord:
    """Codes signed by `kid` at or after `since` are reported as key-compromised."""
    record = _get(session, kid)
    if record.status == KeyStatus.ACTIVE:
        record.retired_at = utcnow()
    record.status = KeyStatus.COMPROMISED
    record.compromised_since = since
    session.add(record)
    return record


def all_keys(session: Session) -> list[SigningKeyRecord]:
    return list(
        session.exec(select(SigningKeyRecord).order_by(col(SigningKeyRecord.created_at))).all()
    )


def public_key(record: SigningKeyRecord) -> PublicKey:
    return public_key_from_raw(record.public_key)


def published_jwks(session: Session) -> dict[str, list[dict[str, str]]]:
    """Every key that ever signed: rotated and compromised keys stay so old codes verify."""
    return jwk_set(public_key(r) for r in all_keys(session))


def key_ring(session: Session) -> KeyRing:
    return KeyRing(public_key(r) for r in all_keys(session))


_response_keys: dict[str, tuple[float, SigningKey]] = {}
RESPONSE_KEY_TTL = 30.0


def response_signing_key(session: Session, passphrase: str, database: str) -> SigningKey:
    """The key that signs lookup answers, re-read at most every 30 s.

    Public lookups are the hot path; a just-retired key may sign answers for a few more
    seconds, which is harmless because retired keys stay published and keep verifying.
    Issuing always uses `active_signing_key`.
    """
    import time

    now = time.monotonic()
    with _cache_lock:
        cached = _response_keys.get(database)
    if cached is not None and now - cached[0] < RESPONSE_KEY_TTL:
        return cached[1]
    key = active_signing_key(session, passphrase)
    with _cache_lock:
        _response_keys[database] = (now, key)
    return key
