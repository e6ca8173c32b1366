"""The signed, versioned revocation list: build, sign, load, refuse stale or malformed lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from traceability.codes import (
    CompromisedKey,
    RetiredKey,
    RevocationList,
    RevocationListError,
    RevokedGroup,
    RevokedItem,
    SigningKey,
    build_revocation_list,
    jwk_set,
    load_revocation_list,
    sign_revocation_list,
    utc_iso,
)


def _list(version: int = 5) -> RevocationList:
    return build_revocation_list(
        version,
        issued_at=datetime(2026, 3, 2, 16, 0, tzinfo=timezone(timedelta(hours=8))),
        revoked_groups=[RevokedGroup("REVOKEDGRP", "农残超标", "2026-03-01T00:00:00Z")],
        revoked_items=[RevokedItem("DEMOGROUPAITEMSERIAL765432", "错印", "2026-03-01T00:00:00Z")],
        compromised_keys=[CompromisedKey("AAAA", "2026-02-01T00:00:00Z", ("OLDGROUPAA",))],
        retired_keys=[RetiredKey("BBBB", "2026-01-01T00:00:00Z")],
    )


def test_issued_at_is_utc_iso() -> None:
    assert _list().issued_at == "2026-03-02T08:00:00Z"
    assert utc_iso(datetime(2026, 1, 1, 0, 0, 0, 999)) == "2026-01-01T00:00:00Z"


def test_payload_has_the_documented_fields() -> None:
    payload = _list().to_payload()
    assert set(payload) == {
        "version",
        "issued_at",
        "revoked_groups",
        "revoked_items",
        "compromised_keys",
        "retired_keys",
    }
    assert payload["revoked_groups"] == [
        {"g": "REVOKEDGRP", "reason": "农残超标", "at": "2026-03-01T00:00:00Z"}
    ]
    assert payload["revoked_items"][0]["s"] == "DEMOGROUPAITEMSERIAL765432"


def test_sign_and_load_round_trip(key: SigningKey) -> None:
    revocations = _list()
    loaded = load_revocation_list(sign_revocation_list(revocations, key), jwk_set([key]))
    assert loaded == revocations
    assert loaded.revocation_of("REVOKEDGRP", "X" * 16) is not None
    assert loaded.revocation_of("DEMOGROUPA", "ITEMSERIAL765432") is not None
    assert loaded.revocation_of("DEMOGROUPA", "ITEMSERIAL234567") is None
    assert loaded.compromise_of("AAAA", "OLDGROUPAA") is None
    assert loaded.compromise_of("AAAA", "NEWGROUPAA") is not None


def test_jwcrypto_verifies_the_published_list(key: SigningKey) -> None:
    token = jwcrypto_jws.JWS()
    token.deserialize(sign_revocation_list(_list(), key))
    keyset = jwcrypto_jwk.JWKSet.from_json(json.dumps(jwk_set([key])))
    token.verify(keyset.get_key(key.kid))
    assert json.loads(token.payload)["version"] == 5


def test_older_list_than_held_is_stale(key: SigningKey) -> None:
    jws = sign_revocation_list(_list(4), key)
    with pytest.raises(RevocationListError) as err:
        load_revocation_list(jws, jwk_set([key]), held_version=5)
    assert err.value.code == "stale_revocations"
    assert load_revocation_list(jws, jwk_set([key]), held_version=4).version == 4


@pytest.mark.parametrize(
    "change",
    [
        {"version": -1},
        {"version": "7"},
        {"version": True},
        {"issued_at": "yesterday"},
        {"issued_at": "2026-03-02T08:00:00"},
        {"revoked_groups": [{"g": "short", "reason": "", "at": "2026-03-01T00:00:00Z"}]},
        {"revoked_groups": [{"g": "REVOKEDGR0", "reason": "", "at": "2026-03-01T00:00:00Z"}]},
        {"revoked_items": [{"s": "REVOKEDGRP", "reason": "", "at": "2026-03-01T00:00:00Z"}]},
        {"revoked_items": "all"},
        {"compromised_keys": [{"kid": "AAAA", "since": "soon"}]},
        {"compromised_keys": [{"kid": "AAAA", "since": "2026-03-01T00:00:00Z", "valid_groups": 1}]},
        {"retired_keys": [{"kid": "A", "since": "2026-03-01T00:00:00Z"}]},
    ],
)
def test_malformed_lists_are_refused(change: dict[str, Any]) -> None:
    payload = {**_list().to_payload(), **change}
    with pytest.raises(RevocationListError) as err:
        RevocationList.from_payload(payload)
    assert err.value.code == "malformed_revocations"


def test_unknown_fields_are_ignored() -> None:
    payload = {**_list().to_payload(), "next_update": "2026-03-03T00:00:00Z"}
    assert RevocationList.from_payload(payload) == _list()


def test_issued_now_by_default() -> None:
    issued = datetime.fromisoformat(build_revocation_list(1).issued_at)
    assert abs(issued - datetime.now(UTC)) < timedelta(minutes=1)
