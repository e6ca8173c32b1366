"""The intake page's offline verifier (static/intake/verifier.js) in headless Chromium reaches
the same verdict as the Python verifier (traceability/codes) for every rule of the revocation
list: revoked items and groups, compromised and retired keys, pre-printed rolls not activated;
and it refuses a list the Python reader refuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_intake_page import ARGS, CHROMIUM
from traceability.codes import (
    CompromisedKey,
    PendingGroup,
    RetiredKey,
    RevocationListError,
    RevokedGroup,
    RevokedItem,
    Verifier,
    build_revocation_list,
    code_url,
    jwk_set,
    load_revocation_list,
    sign_item_code,
    sign_json,
    sign_revocation_list,
    signing_key_from_seed,
)

playwright = pytest.importorskip("playwright.sync_api")
VERIFIER_JS = Path(__file__).resolve().parents[2] / "traceability/static/intake/verifier.js"
ORIGIN = "http://localhost:8000"  # a secure context: WebCrypto's Ed25519 works here
BASE = "http://127.0.0.1:8000"
HOSTS = ["127.0.0.1:8000"]
KEY = signing_key_from_seed(bytes(range(32)))
LEAKED = signing_key_from_seed(bytes(range(32, 64)))
RETIRED = signing_key_from_seed(bytes(range(96, 128)))
FOREIGN = signing_key_from_seed(bytes(range(64, 96)))
AT = "2026-03-01T10:00:00Z"


def _url(group: str, item: str, key: Any = KEY) -> str:
    return code_url(BASE, sign_item_code(group, item, key))


def _tampered(url: str) -> str:
    head, signature = url.rsplit(".", 1)
    return f"{head}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}"


SCANS = {
    "genuine": _url("GOODGROUPA", "AAAAAAAAAAAAAAAA"),
    "item revoked": _url("GOODGROUPA", "BBBBBBBBBBBBBBBB"),
    "group revoked": _url("BADGROUPAA", "AAAAAAAAAAAAAAAA"),
    "roll code not activated": _url("ROLLGROUPA", "CCCCCCCCCCCCCCCC"),
    "roll code activated": _url("ROLLGROUPA", "DDDDDDDDDDDDDDDD"),
    "roll code activated, then revoked": _url("ROLLGROUPA", "EEEEEEEEEEEEEEEE"),
    "revoked roll, not activated": _url("ROLLGROUPB", "CCCCCCCCCCCCCCCC"),
    "compromised key, vouched group": _url("OLDGROUPAA", "AAAAAAAAAAAAAAAA", LEAKED),
    "compromised key, other group": _url("NEWGROUPAA", "AAAAAAAAAAAAAAAA", LEAKED),
    "compromised key, pending roll": _url("ROLLGROUPA", "CCCCCCCCCCCCCCCC", LEAKED),
    "retired key, old code": _url("OLDGROUPAB", "AAAAAAAAAAAAAAAA", RETIRED),
    "tampered roll code": _tampered(_url("ROLLGROUPA", "CCCCCCCCCCCCCCCC")),
    "foreign key": _url("GOODGROUPA", "AAAAAAAAAAAAAAAA", FOREIGN),
    "wrong host": _url("GOODGROUPA", "AAAAAAAAAAAAAAAA").replace("127.0.0.1", "127.0.0.2"),
}
REVOCATIONS = build_revocation_list(
    12,
    issued_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
    revoked_groups=[
        RevokedGroup("BADGROUPAA", "抽检不合格", AT),
        RevokedGroup("ROLLGROUPB", "作废", AT),
    ],
    revoked_items=[
        RevokedItem("GOODGROUPABBBBBBBBBBBBBBBB", "标签错印", AT),
        RevokedItem("ROLLGROUPAEEEEEEEEEEEEEEEE", "召回", AT),
    ],
    compromised_keys=[CompromisedKey(LEAKED.kid, AT, ("OLDGROUPAA",))],
    retired_keys=[RetiredKey(RETIRED.kid, AT)],
    pending_groups=[
        PendingGroup("ROLLGROUPA", ("DDDDDDDDDDDDDDDD", "EEEEEEEEEEEEEEEE")),
        PendingGroup("ROLLGROUPB"),
    ],
)
JWKS = jwk_set([KEY, LEAKED, RETIRED])


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Any]:
    """A page of a secure origin holding only verifier.js (served by the test, no server)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        script = VERIFIER_JS.read_text(encoding="utf-8")
        page.route(
            ORIGIN + "/verifier.js",
            lambda route: route.fulfill(body=script, content_type="text/javascript"),
        )
        page.route(
            ORIGIN + "/",
            lambda route: route.fulfill(
                body='<!doctype html><script src="/verifier.js"></script>',
                content_type="text/html",
            ),
        )
        page.goto(ORIGIN + "/")
        page.wait_for_function("window.TRCVerifier !== undefined")
        yield page
        browser.close()


def _browser_verdicts(page: Any, jws: str, texts: list[str]) -> list[dict[str, Any]]:
    return list(
        page.evaluate(
            """async ([jwks, jws, texts, hosts]) => {
                const ring = await TRCVerifier.loadKeyRing(jwks);
                const list = await TRCVerifier.verifyRevocationJws(jws, ring);
                const out = [];
                for (const text of texts) out.push(await TRCVerifier.verify(text, ring, list, hosts));
                return out;
            }""",
            [JWKS, jws, texts, HOSTS],
        )
    )


def test_the_browser_verifier_reaches_the_python_verdict_for_every_list_rule(
    browser_page: Any,
) -> None:
    jws = sign_revocation_list(REVOCATIONS, KEY)
    python = Verifier(JWKS, jws, accepted_hosts=HOSTS)
    names, texts = list(SCANS), list(SCANS.values())
    expected = [(python.verify(t).status, python.verify(t).reason) for t in texts]
    browser = [(v["status"], v.get("reason")) for v in _browser_verdicts(browser_page, jws, texts)]
    assert dict(zip(names, browser, strict=True)) == dict(zip(names, expected, strict=True))
    assert dict(zip(names, expected, strict=True))["roll code not activated"] == (
        "not_activated",
        "not_activated",
    )


@pytest.mark.parametrize(
    "broken",
    [
        {"pending_groups": [{"g": "SHORT"}]},
        {"pending_groups": [{"g": "ROLLGROUPA", "activated": ["TOOSHORT"]}]},
        {"pending_groups": {"g": "ROLLGROUPA"}},
        {"retired_keys": [{"kid": "KZDV"}]},
        {"revoked_items": [{"s": "GOODGROUPABBBBBBBBBBBBBBBB", "reason": 7, "at": AT}]},
        {"compromised_keys": [{"kid": "KZDV", "since": "2026-03-01", "valid_groups": []}]},
        {"version": -1},
    ],
    ids=lambda b: next(iter(b)),
)
def test_a_list_the_python_reader_refuses_is_refused_in_the_browser_too(
    browser_page: Any, broken: dict[str, Any]
) -> None:
    payload = {**REVOCATIONS.to_payload(), **broken}
    jws = sign_json(payload, KEY, typ="trc-revocations+jwt")
    with pytest.raises(RevocationListError):
        load_revocation_list(jws, JWKS)
    refused = browser_page.evaluate(
        """async ([jwks, jws]) => {
            const ring = await TRCVerifier.loadKeyRing(jwks);
            try { await TRCVerifier.verifyRevocationJws(jws, ring); return null; }
            catch (e) { return String(e.message); }
        }""",
        [JWKS, jws],
    )
    assert refused is not None and refused.startswith("malformed_list"), json.dumps(broken)
