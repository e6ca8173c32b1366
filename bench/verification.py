"""Benchmark 5: offline verification through `traceability verify`'s code path.

`Verifier(jwks, revocations_jws).verify(text)` parses the scanned URL, finds the key by
kid, checks the signature and the signed revocation list; the baseline is a bare
`Ed25519PublicKey.verify` loop over the same messages and signatures.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bench.progress import say
from bench.results import Result, Target
from bench.sizes import Size

BASE_URL = "https://zs.nync.example.gov.cn"
REVOKED_ITEMS = 1_000


def run_verification(size: Size) -> list[Result]:
    from traceability.codes import (
        ItemCode,
        RevokedItem,
        Verifier,
        build_revocation_list,
        code_url,
        generate_signing_key,
        jwk_set,
        new_group_code,
        sign_item_codes,
        sign_revocation_list,
        utc_iso,
    )

    say("verify: offline Verifier vs bare Ed25519 verify")
    key = generate_signing_key()
    codes: list[ItemCode] = []
    while len(codes) < size.verify_codes:
        codes += list(
            sign_item_codes(new_group_code(), min(1_000, size.verify_codes - len(codes)), key)
        )
    now = utc_iso(datetime.now(UTC))
    revoked = [
        RevokedItem(c.serial, "bench", now)
        for c in sign_item_codes(new_group_code(), REVOKED_ITEMS, key)
    ]
    jws = sign_revocation_list(build_revocation_list(1, revoked_items=revoked), key)
    jwks = jwk_set([key])
    texts = [code_url(BASE_URL, c) for c in codes]

    verifier = Verifier(jwks, jws)
    start = time.perf_counter()
    genuine = sum(1 for text in texts if verifier.verify(text).genuine)
    verifier_rate = len(texts) / (time.perf_counter() - start)
    if genuine != len(texts):
        raise RuntimeError(f"only {genuine} of {len(texts)} codes verified genuine")

    public = Ed25519PublicKey.from_public_bytes(key.public.raw)
    pairs = [(c.message, c.signature) for c in codes]
    start = time.perf_counter()
    for message, signature in pairs:
        try:
            public.verify(signature, message)
        except InvalidSignature as exc:  # pragma: no cover - our own fresh signatures
            raise RuntimeError("bare verify failed") from exc
    bare_rate = len(pairs) / (time.perf_counter() - start)
    return [
        Result(
            "verify",
            "-",
            f"offline Verifier.verify(URL text), {REVOKED_ITEMS:,} revocations loaded",
            verifier_rate,
            "codes/s",
            bare_rate,
            "bare Ed25519 verify/s",
            Target(">=", 0.5),
        )
    ]
