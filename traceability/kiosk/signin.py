"""Producers sign in at a kiosk with their card (or producer number / ID-card number) and a PIN.

PINs are short, so they are hashed with Argon2id and locked after repeated failures.
The last two tries before a lockout say how many are left: an elderly producer who
mistypes should not walk into a 15-minute lockout unwarned. So that the warning does
not tell a card-number guesser which cards exist, an unknown card gets the very same
answers: counted per identifier, warned on the 3rd and 4th try, locked on the 5th.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from traceability.db import record_by_id
from traceability.errors import DomainError, Forbidden, NotFound, ValidationFailed
from traceability.models import LoginThrottle, Producer, ProducerStatus
from traceability.models.producer_credential import ProducerCredential
from traceability.models.types import utcnow
from traceability.registry.validators import normalise_id_number

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
CARD_PREFIX = "/K/"
# An unknown card's wrong tries are counted in the sign-in throttle table under this prefix
# (web sign-ins count there per remote address, which never starts with it).
UNKNOWN_CARD_PREFIX = "kiosk-card:"
_hasher = PasswordHasher()


class SignInRefused(DomainError):
    status = 401
    code = "signin_refused"


def _card_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def set_pin(session: Session, producer_id: int, pin: str) -> ProducerCredential:
    """Set (or reset) a producer's kiosk PIN; the card code stays the same once made."""
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise ValidationFailed(
            "PIN 须为 4–8 位数字。", "The PIN must be 4 to 8 digits.", code="invalid_pin"
        )
    if record_by_id(session, Producer, producer_id) is None:
        raise NotFound("找不到该生产主体。", "No such producer.", code="producer_not_found")
    credential = session.get(ProducerCredential, producer_id)
    if credential is None:
        credential = ProducerCredential(
            producer_id=producer_id, card_code=_card_code(), pin_hash=""
        )
    credential.pin_hash = _hasher.hash(pin)
    credential.failed_count = 0
    credential.locked_until = None
    credential.updated_at = utcnow()
    session.add(credential)
    session.flush()
    from traceability.audit import record_audit

    record_audit(session, None, "producer.set_pin", object_type="producer", object_id=producer_id)
    return credential


def card_url(base_url: str, credential: ProducerCredential) -> str:
    """What the producer card's QR holds: upper-case, so it stays a small QR code."""
    return f"{base_url.rstrip('/').upper()}{CARD_PREFIX}{credential.card_code}"


def _find(
    session: Session, identifier: str, id_digest: Callable[[str], str] | None
) -> ProducerCredential | None:
    text = identifier.strip()
    if CARD_PREFIX in text.upper():
        text = text.upper().rsplit(CARD_PREFIX, 1)[1]
    credential = session.exec(
        select(ProducerCredential).where(ProducerCredential.card_code == text.upper())
    ).first()
    if credential is not None:
        return credential
    if text.isdecimal() and len(text) < 10:  # the producer's registry number
        return session.get(ProducerCredential, int(text))
    number = _id_number(text)
    if number is not None and id_digest is not None:
        digest = id_digest(number)
        producer = session.exec(select(Producer).where(Producer.id_number_digest == digest)).first()
        if producer is not None:
            return session.get(ProducerCredential, producer.id)
    return None


def _id_number(text: str) -> str | None:
    """An ID-card number as the registry stores its digest (upper-case X), or None."""
    try:
        return normalise_id_number(text)
    except ValidationFailed:
        return None


def _refused() -> SignInRefused:
    return SignInRefused(
        "卡号或密码不对，请重试。",
        "Card or PIN not recognised; please try again.",
        code="wrong_pin",
    )


def _still_locked(locked_until: datetime | None, now: datetime) -> SignInRefused | None:
    if locked_until is None or locked_until <= now:
        return None
    minutes = max(1, int((locked_until - now).total_seconds() // 60))
    return SignInRefused(
        f"密码错误次数太多，请 {minutes} 分钟后再试，或找工作人员。",
        f"Too many wrong PINs; try again in {minutes} minutes or ask the staff.",
        code="locked",
    )


def _after_wrong_pin(failures: int, now: datetime) -> tuple[int, datetime | None, SignInRefused]:
    """The new failure count, the lockout (if this try starts one) and what to say."""
    failures += 1
    left = MAX_FAILURES - failures
    minutes = int(LOCKOUT.total_seconds() // 60)
    if left <= 0:
        return (
            0,
            now + LOCKOUT,
            SignInRefused(
                f"密码错误次数太多，已锁定 {minutes} 分钟，请稍后再试，或找工作人员。",
                f"Too many wrong PINs: locked for {minutes} minutes; try later or ask the staff.",
                code="locked",
            ),
        )
    if left <= 2:  # warn before the lockout, not after it
        return (
            failures,
            None,
            SignInRefused(
                f"卡号或密码不对。再错 {left} 次将锁定 {minutes} 分钟。",
                f"Card or PIN not recognised. {left} more wrong PIN(s) lock the card for "
                f"{minutes} minutes.",
                code="wrong_pin",
            ),
        )
    return failures, None, _refused()


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(8))


def _unknown_key(identifier: str, secret: str) -> str:
    """Where an unknown card's wrong tries are counted: a keyed digest of the identifier in the
    form `_find` reads it (so 7 and 007, /K/abc and ABC count together, as for a real card),
    never the typed text itself (it may be someone's ID-card number)."""
    text = identifier.strip()
    if CARD_PREFIX in text.upper():
        text = text.upper().rsplit(CARD_PREFIX, 1)[1]
    text = str(int(text)) if text.isdecimal() and len(text) < 10 else text.upper()
    digest = hmac.new(secret.encode(), f"kiosk-card\0{text}".encode(), hashlib.sha256)
    return f"{UNKNOWN_CARD_PREFIX}{digest.hexdigest()[:48]}"


def _refuse_unknown(
    session: Session, identifier: str, pin: str, secret: str, now: datetime
) -> SignInRefused:
    """An unknown card is answered exactly as a known card with a wrong PIN: the same words,
    the same warnings on the 3rd and 4th try, the same lockout on the 5th, after the same
    Argon2 work, so guessing card or producer numbers learns nothing."""
    key = _unknown_key(identifier, secret)
    tries = session.exec(select(LoginThrottle).where(LoginThrottle.address == key)).first()
    if tries is None:
        tries = LoginThrottle(address=key)
    locked = _still_locked(tries.locked_until, now)
    if locked is not None:
        return locked
    with suppress(VerificationError, InvalidHashError):  # the work a real card's check costs
        _hasher.verify(_dummy_hash(), pin or "")
    tries.failures, lockout, refusal = _after_wrong_pin(tries.failures, now)
    if lockout is not None:
        tries.locked_until = lockout
    tries.updated_at = now
    session.add(tries)
    session.commit()
    return refusal


def sign_in(
    session: Session,
    identifier: str,
    pin: str,
    *,
    now: datetime | None = None,
    secret: str = "",
    id_digest: Callable[[str], str] | None = None,
) -> Producer:
    """The producer for a card/number and PIN, or a refusal a person can act on.

    `secret` keys the digest under which an unknown card's tries are counted; `id_digest`
    is the registry's keyed digest of an ID-card number (`IdNumberVault.digest`), without
    which an ID number finds nobody.
    """
    now = now or utcnow()
    if not identifier.strip() or len(identifier) > 200:
        raise _refused()
    credential = _find(session, identifier, id_digest)
    if credential is None:
        raise _refuse_unknown(session, identifier, pin, secret, now)
    locked = _still_locked(credential.locked_until, now)
    if locked is not None:
        raise locked
    try:
        _hasher.verify(credential.pin_hash, pin or "")
    except (VerificationError, InvalidHashError):
        credential.failed_count, lockout, refusal = _after_wrong_pin(credential.failed_count, now)
        if lockout is not None:
            credential.locked_until = lockout
        session.add(credential)
        session.commit()
        raise refusal from None
    credential.failed_count = 0
    session.add(credential)
    producer = session.get(Producer, credential.producer_id)
    assert producer is not None
    if producer.status != ProducerStatus.ACTIVE:
        raise Forbidden(
            "您的开证资格已被暂停，请联系乡镇监管站。",
            "Your certificate issuing is suspended; contact the township supervision station.",
            code="producer_suspended",
        )
    return producer
