"""A service whose passphrase does not open its signing key answers what must be signed
with a 503 naming the setting, not a bare 500 (`serve` and `init` refuse to start so;
this is the answer of a process that was started some other way)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from traceability import create_app


def test_the_revocation_list_and_signed_answers_say_which_setting_is_wrong(
    app: Flask, demo: dict[str, Any], app_config: dict[str, object]
) -> None:
    other = create_app({**app_config, "SIGNING_KEY_PASSPHRASE": "not-this-instances-passphrase"})
    client = other.test_client()
    code_path = "/C/" + demo["codes"][0]["url"].split("/C/", 1)[1]
    try:
        answers = [
            client.get("/.well-known/revocations.jws"),
            client.get(code_path, headers={"Accept": "application/json"}),
        ]
    finally:
        if other.extensions["scan_buffer"] is not None:
            other.extensions["scan_buffer"].close()
        other.extensions["db_engine"].dispose()
    for response in answers:
        assert response.status_code == 503
        body = response.get_json()
        assert body["error"] == "signing_key_unusable"
        assert "SIGNING_KEY_PASSPHRASE" in body["message_en"]
        assert "not-this-instances-passphrase" not in response.get_data(as_text=True)
