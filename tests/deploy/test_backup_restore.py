"""docs/deployment.md §8 for real: `pg_dump --format=custom`, `pg_restore --no-owner` into
a new database, then `traceability init` with the saved settings. The restored instance
verifies the certificates issued before (online and with its published keys offline) and
issues new ones; beside another settings file it refuses to start, in one line."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from tests.conftest import _create_pg_database, _drop_pg_database
from tests.missing_tools import tool_missing
from traceability import create_app
from traceability.cli import main

SETTINGS = {"SIGNING_KEY_PASSPHRASE": "county-passphrase-0123456789", "PII_SECRET": "county-pii"}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def two_databases(postgres_admin_url: str) -> Iterator[tuple[str, str]]:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        tool_missing("pg_dump/pg_restore not installed (Debian: postgresql-client)")
    urls = (_create_pg_database(postgres_admin_url), _create_pg_database(postgres_admin_url))
    try:
        yield urls
    finally:
        for url in urls:
            _drop_pg_database(postgres_admin_url, url)


def _cli(database: str, home: Path, *args: str, **settings: str) -> tuple[int, str]:
    env = {**SETTINGS, "DATABASE_URL": database, "TRACEABILITY_HOME": str(home), **settings}
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def test_a_restored_database_verifies_old_codes_and_issues_new_ones(
    two_databases: tuple[str, str], tmp_path: Path
) -> None:
    original, restored = two_databases
    _cli(original, tmp_path / "a", "init")
    demo = json.loads(_cli(original, tmp_path / "a", "demo", "--json")[1])
    old_code = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    _cli(original, tmp_path / "a", "keys", "rotate")  # a year on: two keys to carry over

    dump = tmp_path / "db.dump"
    with dump.open("wb") as out:
        subprocess.run(["pg_dump", "--format=custom", _libpq(original)], stdout=out, check=True)
    with dump.open("rb") as source:
        subprocess.run(
            ["pg_restore", "--no-owner", "--dbname", _libpq(restored)], stdin=source, check=True
        )

    # beside another settings file: refused in one line, nothing started
    code, said = _cli(restored, tmp_path / "b", "init", SIGNING_KEY_PASSPHRASE="another-one")
    assert code == 1 and "SIGNING_KEY_PASSPHRASE" in said and "Traceback" not in said

    code, said = _cli(restored, tmp_path / "b", "init")  # with the saved settings
    assert code == 0, said
    app = create_app({**SETTINGS, "DATABASE_URL": restored, "TRACEABILITY_HOME": str(tmp_path)})
    client = app.test_client()
    try:
        path = "/C/" + old_code.split("/C/", 1)[1]
        online = client.get(path, headers={"Accept": "application/json"}).get_json()
        (tmp_path / "jwks.json").write_bytes(client.get("/.well-known/jwks.json").data)
        (tmp_path / "rev.jws").write_bytes(client.get("/.well-known/revocations.jws").data)
    finally:
        if app.extensions["scan_buffer"] is not None:
            app.extensions["scan_buffer"].close()
        app.extensions["db_engine"].dispose()
    assert online["verdict"]["status"] == "genuine"
    offline = CliRunner().invoke(
        main,
        ["verify", old_code, "--keys", str(tmp_path / "jwks.json"),
         "--revocations", str(tmp_path / "rev.jws"), "--json"],
    )  # fmt: skip
    assert offline.exit_code == 0 and json.loads(offline.output)["status"] == "genuine"

    code, said = _cli(
        restored, tmp_path / "b",
        "issue", "--producer-id", "1", "--batch-id", "1", "--basis", "quality_control",
        "--confirm-signature", "--json",
    )  # fmt: skip
    assert code == 0, said
    assert json.loads(said)["certificate"]["status"] == "valid"
