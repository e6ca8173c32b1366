"""Offline verification: scanned text + published keys (+ revocation list) → a verdict.

The order of checks is the rule a third-party verifier must follow (docs/code-format.md):
parse → key known → signature → key compromise → revocation → genuine. Nothing but a
valid signature by a published key can ever reach "genuine" or "revoked".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from traceability.codes.errors import ScanError
from traceability.codes.format import ItemCode
from traceability.codes.keys import KeyRing
from traceability.codes.revocation import RevocationList, load_revocation_list
from traceability.codes.scanning import ParsedCode, parse_scanned_text

Status = Literal[
    "genuine",
    "revoked",
    "not_genuine",
    "key_compromised",
    "unknown_key",
    "malformed",
    "not_activated",
]

VERDICT_MESSAGES: dict[str, tuple[str, str]] = {
    "genuine": (
        "真品：签名有效，追溯码未被撤销。",
        "Genuine: the signature is valid and the code is not revoked.",
    ),
    "revoked": (
        "已撤销：该合格证或追溯码已作废。",
        "Revoked: this certificate or item code has been withdrawn.",
    ),
    "not_genuine": (
        "无法验证：签名无效，追溯码可能是伪造或被篡改的。",
        "Not genuine: the signature does not verify; the code may be forged or altered.",
    ),
    "key_compromised": (
        "无法验证：签名密钥已泄露，该码可能是伪造的。",
        "Not genuine: the signing key was compromised and this code is not known to predate it.",
    ),
    "not_activated": (
        "无法验证：该预印追溯码尚未激活，不能作为合格证使用。",
        "Not usable: this pre-printed code has not been activated by an issued certificate.",
    ),
    "unknown_key": (
        "无法验证：签名密钥未知，请更新公钥列表后重试。",
        "Cannot verify: unknown signing key; update the published keys and try again.",
    ),
}


@dataclass(frozen=True)
class Verdict:
    """The answer for one scan. ``reason`` is the error code (malformed) or revocation reason."""

    status: Status
    message_zh: str
    message_en: str
    reason: str | None = None
    code: ItemCode | None = None
    form: str | None = None
    host: str | None = None
    gtin: str | None = None
    at: str | None = None
    """When it was revoked, or since when its key is compromised."""

    @property
    def genuine(self) -> bool:
        return self.status == "genuine"

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for the verify API and the CLI's ``--json``."""
        code = self.code
        return {
            "status": self.status,
            "reason": self.reason,
            "at": self.at,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "form": self.form,
            "host": self.host,
            "gtin": self.gtin,
            "group": code.group if code else None,
            "item": code.item if code else None,
            "serial": code.serial if code else None,
            "kid": code.kid if code else None,
        }


def _verdict(status: Status, parsed: ParsedCode, **extra: Any) -> Verdict:
    zh, en = VERDICT_MESSAGES[status]
    return Verdict(
        status=status,
        message_zh=zh,
        message_en=en,
        code=parsed.code,
        form=parsed.form,
        host=parsed.host,
        gtin=parsed.gtin,
        **extra,
    )


def malformed_verdict(error: ScanError) -> Verdict:
    """The verdict for text that is not a code at all."""
    return Verdict("malformed", error.message_zh, error.message_en, reason=error.code)


class Verifier:
    """Build once from the JWK Set and revocation list; then ``verify`` many scans fast.

    ``revocations`` may be a :class:`RevocationList`, its verified payload dict, or the
    published JWS text (verified here against ``jwks``).
    """

    def __init__(
        self,
        jwks: Mapping[str, Any] | KeyRing,
        revocations: RevocationList | Mapping[str, Any] | str | None = None,
        *,
        accepted_hosts: Collection[str] | None = None,
    ) -> None:
        self.keys = jwks if isinstance(jwks, KeyRing) else KeyRing.from_jwks(jwks)
        if isinstance(revocations, str):
            revocations = load_revocation_list(revocations, self.keys)
        elif isinstance(revocations, Mapping):
            revocations = RevocationList.from_payload(revocations)
        self.revocations: RevocationList | None = revocations
        self.accepted_hosts = (
            frozenset(h.lower() for h in accepted_hosts) if accepted_hosts is not None else None
        )

    def verify(self, text: str) -> Verdict:
        """Verdict for raw scanned text; never raises for any string input."""
        try:
            parsed = parse_scanned_text(text, accepted_hosts=self.accepted_hosts)
        except ScanError as exc:
            return malformed_verdict(exc)
        return self.verify_parsed(parsed)

    def verify_parsed(self, parsed: ParsedCode) -> Verdict:
        """Verdict for an already parsed code (the lookup view parses the URL itself)."""
        code = parsed.code
        candidates = self.keys.candidates(code.kid)
        if not candidates:
            return _verdict("unknown_key", parsed, reason="unknown_key")
        message = code.message
        if not any(key.verify(message, code.signature) for key in candidates):
            return _verdict("not_genuine", parsed, reason="bad_signature")
        if self.revocations is None:
            return _verdict("genuine", parsed)
        compromise = self.revocations.compromise_of(code.kid, code.group)
        if compromise is not None:
            return _verdict(
                "key_compromised", parsed, reason="key_compromised", at=compromise.since
            )
        if self.revocations.not_activated(code.group, code.item):
            return _verdict("not_activated", parsed, reason="not_activated")
        revocation = self.revocations.revocation_of(code.group, code.item)
        if revocation is not None:
            return _verdict("revoked", parsed, reason=revocation.reason, at=revocation.at)
        return _verdict("genuine", parsed)


def verify_offline(
    scanned_text: str,
    jwks: Mapping[str, Any] | KeyRing,
    revocations: RevocationList | Mapping[str, Any] | str | None = None,
    *,
    accepted_hosts: Collection[str] | None = None,
) -> Verdict:
    """One-shot verification; for many scans build a :class:`Verifier` once instead."""
    return Verifier(jwks, revocations, accepted_hosts=accepted_hosts).verify(scanned_text)
