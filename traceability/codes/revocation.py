"""The offline revocation list: a signed, versioned JWS of revoked groups, items and keys.

Published at ``/.well-known/revocations.jws``. ``version`` only grows, so a verifier can
refuse a replayed older list. A compromised key cannot be trusted for codes made after its
compromise, and a code carries no signing time; so the list names the groups that key
signed *before* ``since`` (``valid_groups``), and offline verifiers report every other code
under that key as ``key_compromised``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from traceability.codes.errors import RevocationListError
from traceability.codes.format import GROUP_LENGTH, ITEM_LENGTH, SERIAL_LENGTH
from traceability.codes.jws import sign_json, verify_jws
from traceability.codes.keys import KeyRing, SigningKey
from traceability.codes.signing import KID_LENGTH

REVOCATIONS_TYP = "trc-revocations+jwt"
REVOCATIONS_PATH = "/.well-known/revocations.jws"


def utc_iso(moment: datetime) -> str:
    """``2026-02-01T08:00:00Z``: UTC, whole seconds; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: object, what: str) -> datetime:
    """A timezone-aware datetime from ISO-8601 text, else RevocationListError."""
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise RevocationListError("malformed_revocations", f"{what}: need ISO-8601 with zone")
    return moment


@dataclass(frozen=True)
class RevokedGroup:
    """Every item of a group (certificate or roll) is revoked."""

    g: str
    reason: str
    at: str


@dataclass(frozen=True)
class RevokedItem:
    """One item, by its 26-character serial G+I."""

    s: str
    reason: str
    at: str


@dataclass(frozen=True)
class CompromisedKey:
    """A key that leaked at ``since``; ``valid_groups`` were signed by it before then."""

    kid: str
    since: str
    valid_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetiredKey:
    """A key no longer used for new codes; its old codes stay genuine."""

    kid: str
    since: str


@dataclass(frozen=True)
class PendingGroup:
    """A pre-printed roll (印刷激活): its codes are unusable until bound to a certificate.

    ``activated`` holds the 16-character item parts already bound; every other item of
    the group reads "not activated". A fully activated roll leaves the list.
    """

    g: str
    activated: tuple[str, ...] = ()


@dataclass(frozen=True)
class RevocationList:
    """The parsed list, with lookup tables built once."""

    version: int
    issued_at: str
    revoked_groups: tuple[RevokedGroup, ...] = ()
    revoked_items: tuple[RevokedItem, ...] = ()
    compromised_keys: tuple[CompromisedKey, ...] = ()
    retired_keys: tuple[RetiredKey, ...] = ()
    pending_groups: tuple[PendingGroup, ...] = ()
    _groups: dict[str, RevokedGroup] = field(init=False, repr=False, compare=False)
    _items: dict[str, RevokedItem] = field(init=False, repr=False, compare=False)
    _compromised: dict[str, tuple[CompromisedKey, frozenset[str]]] = field(
        init=False, repr=False, compare=False
    )
    _pending: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_groups", {r.g: r for r in self.revoked_groups})
        object.__setattr__(self, "_items", {r.s: r for r in self.revoked_items})
        object.__setattr__(
            self,
            "_compromised",
            {k.kid: (k, frozenset(k.valid_groups)) for k in self.compromised_keys},
        )
        object.__setattr__(
            self, "_pending", {p.g: frozenset(p.activated) for p in self.pending_groups}
        )

    def not_activated(self, group: str, item: str) -> bool:
        """True for a pre-printed code whose roll item has not been bound to a certificate."""
        pending = self._pending.get(group)
        return pending is not None and item not in pending

    def revocation_of(self, group: str, item: str) -> RevokedItem | RevokedGroup | None:
        """The entry that revokes this code (item entry first), or None."""
        return self._items.get(group + item) or self._groups.get(group)

    def compromise_of(self, kid: str, group: str) -> CompromisedKey | None:
        """The compromise entry if ``kid`` is compromised and ``group`` not vouched for."""
        entry = self._compromised.get(kid)
        if entry is None or group in entry[1]:
            return None
        return entry[0]

    def to_payload(self) -> dict[str, Any]:
        """The JSON payload that is signed."""
        payload: dict[str, Any] = {
            "version": self.version,
            "issued_at": self.issued_at,
            "revoked_groups": [
                {"g": r.g, "reason": r.reason, "at": r.at} for r in self.revoked_groups
            ],
            "revoked_items": [
                {"s": r.s, "reason": r.reason, "at": r.at} for r in self.revoked_items
            ],
            "compromised_keys": [
                {"kid": k.kid, "since": k.since, "valid_groups": list(k.valid_groups)}
                for k in self.compromised_keys
            ],
            "retired_keys": [{"kid": k.kid, "since": k.since} for k in self.retired_keys],
        }
        if self.pending_groups:  # optional: absent in lists without pre-printed rolls
            payload["pending_groups"] = [
                {"g": p.g, "activated": list(p.activated)} for p in self.pending_groups
            ]
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> RevocationList:
        """Validate every field strictly; unknown top-level fields are ignored (forward use)."""
        version = payload.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise RevocationListError("malformed_revocations", "version: non-negative integer")
        parse_iso(payload.get("issued_at"), "issued_at")
        return cls(
            version=version,
            issued_at=str(payload["issued_at"]),
            revoked_groups=tuple(
                RevokedGroup(
                    g=_b32(e, "g", GROUP_LENGTH), reason=_text(e, "reason"), at=_when(e, "at")
                )
                for e in _entries(payload, "revoked_groups")
            ),
            revoked_items=tuple(
                RevokedItem(
                    s=_b32(e, "s", SERIAL_LENGTH), reason=_text(e, "reason"), at=_when(e, "at")
                )
                for e in _entries(payload, "revoked_items")
            ),
            compromised_keys=tuple(
                CompromisedKey(
                    kid=_b32(e, "kid", KID_LENGTH),
                    since=_when(e, "since"),
                    valid_groups=_groups(e),
                )
                for e in _entries(payload, "compromised_keys")
            ),
            retired_keys=tuple(
                RetiredKey(kid=_b32(e, "kid", KID_LENGTH), since=_when(e, "since"))
                for e in _entries(payload, "retired_keys")
            ),
            pending_groups=tuple(
                PendingGroup(g=_b32(e, "g", GROUP_LENGTH), activated=_items(e))
                for e in _entries(payload, "pending_groups")
            ),
        )


def _items(entry: Mapping[str, Any]) -> tuple[str, ...]:
    value = entry.get("activated", [])
    if not isinstance(value, list):
        raise RevocationListError("malformed_revocations", "activated: list")
    return tuple(_b32({"i": i}, "i", ITEM_LENGTH) for i in value)


def _entries(payload: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = payload.get(name, [])
    if not isinstance(value, list) or not all(isinstance(e, Mapping) for e in value):
        raise RevocationListError("malformed_revocations", f"{name}: list of objects")
    return value


def _b32(entry: Mapping[str, Any], name: str, length: int) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or len(value) != length or not value.isascii():
        raise RevocationListError("malformed_revocations", f"{name}: {length} base32 chars")
    if any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for c in value):
        raise RevocationListError("malformed_revocations", f"{name}: {length} base32 chars")
    return value


def _text(entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name, "")
    if not isinstance(value, str):
        raise RevocationListError("malformed_revocations", f"{name}: string")
    return value


def _when(entry: Mapping[str, Any], name: str) -> str:
    parse_iso(entry.get(name), name)
    return str(entry[name])


def _groups(entry: Mapping[str, Any]) -> tuple[str, ...]:
    value = entry.get("valid_groups", [])
    if not isinstance(value, list):
        raise RevocationListError("malformed_revocations", "valid_groups: list")
    return tuple(_b32({"g": g}, "g", GROUP_LENGTH) for g in value)


def build_revocation_list(
    version: int,
    *,
    issued_at: datetime | None = None,
    revoked_groups: Iterable[RevokedGroup] = (),
    revoked_items: Iterable[RevokedItem] = (),
    compromised_keys: Iterable[CompromisedKey] = (),
    retired_keys: Iterable[RetiredKey] = (),
    pending_groups: Iterable[PendingGroup] = (),
) -> RevocationList:
    """Assemble a list (validated by a round trip through its payload)."""
    draft = RevocationList(
        version=version,
        issued_at=utc_iso(issued_at or datetime.now(UTC)),
        revoked_groups=tuple(revoked_groups),
        revoked_items=tuple(revoked_items),
        compromised_keys=tuple(compromised_keys),
        retired_keys=tuple(retired_keys),
        pending_groups=tuple(pending_groups),
    )
    return RevocationList.from_payload(draft.to_payload())


def sign_revocation_list(revocations: RevocationList, key: SigningKey) -> str:
    """The JWS to publish at ``/.well-known/revocations.jws``."""
    return sign_json(revocations.to_payload(), key, typ=REVOCATIONS_TYP)


def load_revocation_list(
    jws: str, jwks: Mapping[str, Any] | KeyRing, *, held_version: int | None = None
) -> RevocationList:
    """Verify and parse a published list; ``stale_revocations`` if older than ``held_version``.

    Signature failures surface as JwsError (``bad_signature``, ``unknown_key`` …).
    """
    payload = verify_jws(jws, jwks, typ=REVOCATIONS_TYP)
    revocations = RevocationList.from_payload(payload)
    if held_version is not None and revocations.version < held_version:
        raise RevocationListError("stale_revocations", f"{revocations.version} < {held_version}")
    return revocations
