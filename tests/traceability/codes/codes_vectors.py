"""Builds the test vectors published in docs/code-format.md.

Run ``python tests/traceability/codes/codes_vectors.py`` to print them; the doc's
```json block must equal this output (tests/traceability/codes/test_codes_vectors.py).
Ed25519 is deterministic, so the output is stable.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from traceability.codes import (
    CompromisedKey,
    RevokedGroup,
    RevokedItem,
    build_revocation_list,
    code_url,
    gs1_digital_link_url,
    jwk_set,
    sign_item_code,
    sign_json,
    sign_revocation_list,
    signing_key_from_seed,
)
from traceability.codes.alphabet import b64url_encode
from traceability.codes.qr import qr_version

SEED = bytes(range(32))  # 00 01 02 … 1f
SECOND_SEED = bytes(range(32, 64))  # 20 21 … 3f: the key compromised in the vectors
FOREIGN_SEED = bytes(range(64, 96))  # 40 41 … 5f: never published
BASE_URL = "http://127.0.0.1:8000"
GS1_BASE_URL = "https://trace.example.cn"
GTIN = "6901234567892"
ACCEPTED_HOSTS = ["127.0.0.1:8000", "trace.example.cn"]


def _valid(key: Any, group: str, item: str, gtin: str | None = None) -> dict[str, Any]:
    code = sign_item_code(group, item, key)
    entry: dict[str, Any] = {
        "group": group,
        "item": item,
        "serial": code.serial,
        "kid": code.kid,
        "message_ascii": code.message.decode("ascii"),
        "message_hex": code.message.hex(),
        "signature_hex": code.signature.hex(),
        "signature_b32": code.signature_b32,
        "signature_b64url": b64url_encode(code.signature),
        "code": code.text,
        "url": code_url(BASE_URL, code),
    }
    entry["url_qr_version_m"] = qr_version(entry["url"])
    if gtin:
        entry["gtin14"] = gtin.zfill(14)
        entry["gs1_url"] = gs1_digital_link_url(GS1_BASE_URL, gtin, code)
    return entry


def build_vectors() -> dict[str, Any]:
    """Every vector, as the JSON object printed in the document."""
    key = signing_key_from_seed(SEED)
    second = signing_key_from_seed(SECOND_SEED)
    foreign = signing_key_from_seed(FOREIGN_SEED)

    genuine = _valid(key, "DEMOGROUPA", "ITEMSERIAL234567", GTIN)
    item_revoked = _valid(key, "DEMOGROUPA", "ITEMSERIAL765432")
    group_revoked = _valid(key, "REVOKEDGRP", "AAAAAAAAAAAAAAAA")
    before_compromise = _valid(second, "OLDGROUPAA", "BBBBBBBBBBBBBBBB")
    after_compromise = _valid(second, "NEWGROUPAA", "CCCCCCCCCCCCCCCC")

    revocations = build_revocation_list(
        7,
        issued_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        revoked_groups=[RevokedGroup("REVOKEDGRP", "质量抽检不合格", "2026-03-01T10:00:00Z")],
        revoked_items=[
            RevokedItem("DEMOGROUPAITEMSERIAL765432", "标签错印", "2026-03-01T11:00:00Z")
        ],
        compromised_keys=[
            CompromisedKey(second.kid, "2026-03-01T00:00:00Z", valid_groups=("OLDGROUPAA",))
        ],
    )

    url = genuine["url"]
    code = genuine["code"]
    sig = code.rsplit(".", 1)[1]
    # Flip the 3 pad bits of the last signature character: same 64 bytes, other text.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    padded_last = alphabet[alphabet.index(sig[-1]) | 1]
    foreign_code = sign_item_code("DEMOGROUPA", "ITEMSERIAL234567", foreign)
    # A forger who copies our kid but signs with his own key.
    forged_sig = foreign.sign(genuine["message_ascii"].encode())
    from traceability.codes.alphabet import b32encode

    forged = f"DEMOGROUPAITEMSERIAL234567.{key.kid}.{b32encode(forged_sig)}"
    wrong_kid = "AAAA" if key.kid != "AAAA" else "BBBB"

    scans = [
        ("genuine URL", url, "genuine", None),
        ("genuine bare code", code, "genuine", None),
        ("lower-case URL with CR LF (CAPS LOCK scanner)", url.lower() + "\r\n", "genuine", None),
        ("GS1 Digital Link form", genuine["gs1_url"], "genuine", None),
        ("item revoked", item_revoked["url"], "revoked", "标签错印"),
        ("group revoked", group_revoked["url"], "revoked", "质量抽检不合格"),
        ("compromised key, group signed before", before_compromise["url"], "genuine", None),
        (
            "compromised key, other group",
            after_compromise["url"],
            "key_compromised",
            "key_compromised",
        ),
        (
            "changed to 8 (not base32)",
            url.replace("ITEMSERIAL234567", "ITEMSERIAL234568"),
            "malformed",
            "malformed",
        ),
        (
            "one item character substituted",
            url.replace("ITEMSERIAL234567", "ITEMSERIAL334567"),
            "not_genuine",
            "bad_signature",
        ),
        ("non-canonical signature padding", url[:-1] + padded_last, "malformed", "non_canonical"),
        (
            "unknown kid",
            url.replace(f".{key.kid}.", f".{wrong_kid}."),
            "unknown_key",
            "unknown_key",
        ),
        ("signed by a foreign key", code_url(BASE_URL, foreign_code), "unknown_key", "unknown_key"),
        ("foreign signature under our kid", forged, "not_genuine", "bad_signature"),
        ("wrong host", url.replace("127.0.0.1", "127.0.0.2"), "malformed", "wrong_host"),
        (
            "Crockford alias 1 for I",
            url.replace("ITEMSERIAL", "1TEMSERIAL"),
            "malformed",
            "malformed",
        ),
        (
            "GTIN check digit wrong",
            genuine["gs1_url"].replace("06901234567892", "06901234567893"),
            "malformed",
            "invalid_gtin",
        ),
        ("truncated", url[:-10], "malformed", "malformed"),
        ("oversized", url + "A" * (513 - len(url)), "malformed", "too_long"),
    ]
    lookup_payload = {
        "serial": genuine["serial"],
        "status": "genuine",
        "product": "西红柿",
        "issued_at": "2026-03-02T08:00:00Z",
    }
    return {
        "format": "TRC1",
        "keys": {
            "signing_seed_hex": SEED.hex(),
            "second_seed_hex": SECOND_SEED.hex(),
            "foreign_seed_hex": FOREIGN_SEED.hex(),
            "public_hex": key.public.raw.hex(),
            "kid": key.kid,
            "second_public_hex": second.public.raw.hex(),
            "second_kid": second.kid,
            "jwks": jwk_set([key, second]),
        },
        "base_url": BASE_URL,
        "gs1_base_url": GS1_BASE_URL,
        "accepted_hosts": ACCEPTED_HOSTS,
        "codes": [genuine, item_revoked, group_revoked, before_compromise, after_compromise],
        "revocations": {
            "payload": revocations.to_payload(),
            "jws": sign_revocation_list(revocations, key),
        },
        "signed_lookup": {"payload": lookup_payload, "jws": sign_json(lookup_payload, key)},
        "scans": [{"name": n, "text": t, "status": s, "reason": r} for n, t, s, r in scans],
    }


if __name__ == "__main__":
    print(json.dumps(build_vectors(), indent=2, ensure_ascii=False))
