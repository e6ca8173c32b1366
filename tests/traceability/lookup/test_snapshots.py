"""Certificate facts kept per worker: every change that matters moves the revision, and
every worker forgets what it kept when it does (at once in the process that made it)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, text, update
from sqlmodel import Session, col, select

from tests.traceability.smallholder import issue_as_smallholder
from traceability import keystore
from traceability.compliance.testing import record_test
from traceability.db import get_engine
from traceability.issuing.revocation import find_certificate, revoke_certificate, revoke_item
from traceability.lookup import snapshots
from traceability.lookup.service import load_certificate_facts, load_key_facts
from traceability.lookup.snapshots import CertificateFacts, FactsCache, KeyFacts, read_revision
from traceability.models import Certificate

ROOT = Path(__file__).resolve().parents[3]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n" + b"signature strokes" * 20


def _valid(demo: dict[str, Any]) -> dict[str, str]:
    return next(c for c in demo["codes"] if c["status"] == "valid")


def _serial(url: str) -> str:
    return url.split("/C/", 1)[1].split(".")[0]


def _certificate(app: Flask, number: str) -> Certificate:
    with Session(get_engine(app), expire_on_commit=False) as session:
        return find_certificate(session, number)


def _revision(app: Flask) -> int:
    """The counter as another connection sees it: committed changes only."""
    with Session(get_engine(app)) as session:
        return read_revision(session)


# The changes that can turn an existing code's answer; each takes the valid demo certificate.
def _revoke_certificate(session: Session, cert: Certificate, url: str) -> None:
    revoke_certificate(session, find_certificate(session, cert.number), "复检不合格", actor="test")


def _revoke_one_code(session: Session, cert: Certificate, url: str) -> None:
    revoke_item(session, _serial(url), "标签损坏", actor="test")


def _mark_key_compromised(session: Session, cert: Certificate, url: str) -> None:
    keystore.mark_compromised(session, cert.kid, cert.issued_at - timedelta(days=1))


def _record_rapid_test(session: Session, cert: Certificate, url: str) -> None:
    values = {
        "method": "colloidal_gold",
        "batch_id": cert.batch_id,
        "target": "毒死蜱",
        "result": "negative",
        "operator": "快检员",
    }
    record_test(session, values, recorded_by="test")


CHANGES = pytest.mark.parametrize(
    "change",
    [_revoke_certificate, _revoke_one_code, _mark_key_compromised, _record_rapid_test],
    ids=["revoke-certificate", "revoke-one-code", "key-compromised", "rapid-test"],
)


@CHANGES
def test_a_change_to_lookup_facts_bumps_the_revision_in_its_own_transaction(
    app: Flask, demo: dict[str, Any], change: Callable[[Session, Certificate, str], None]
) -> None:
    code = _valid(demo)
    cert = _certificate(app, code["number"])
    before = _revision(app)
    with Session(get_engine(app)) as session:
        change(session, cert, code["url"])
        session.flush()
        # bumped by the commit itself, as its last statement (see the next test) …
        assert read_revision(session) == before
        session.commit()
    assert _revision(app) == before + 1  # … so every reader sees it with the change


# SQLite lets one writer in at a time by design; PostgreSQL's row locks are the concern.
@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_transactions_changing_facts_do_not_queue_on_the_counter_before_committing(
    app: Flask, demo: dict[str, Any]
) -> None:
    """Bumped at every flush, the counter's row lock was held from a transaction's first
    change to its commit: a second revocation waited for it, and two transactions that
    revoked certificates in opposite order deadlocked."""
    first_number, second_number = _issue(app), _issue(app)
    before = _revision(app)
    engine = get_engine(app)
    with Session(engine) as first, Session(engine) as second:
        for session in (first, second):
            session.execute(text("SET lock_timeout = '5s'"))
        revoke_certificate(first, find_certificate(first, first_number), "复检不合格", actor="t")
        first.flush()
        revoke_certificate(second, find_certificate(second, second_number), "复检不合格", actor="t")
        second.flush()  # waited for (and timed out on) the first's counter lock before
        second.commit()
        first.commit()
    assert _revision(app) == before + 2


@CHANGES
def test_a_rolled_back_change_leaves_the_revision_alone(
    app: Flask, demo: dict[str, Any], change: Callable[[Session, Certificate, str], None]
) -> None:
    code = _valid(demo)
    cert = _certificate(app, code["number"])
    before = _revision(app)
    with Session(get_engine(app)) as session:
        change(session, cert, code["url"])
        session.flush()
        session.rollback()
    assert _revision(app) == before


def test_issuing_a_certificate_leaves_the_revision_alone(app: Flask, demo: dict[str, Any]) -> None:
    before = _revision(app)
    number = _issue(app, item_count=2)
    assert _certificate(app, number).item_count == 2
    assert _revision(app) == before


def _issue(app: Flask, *, item_count: int = 1, signature_image: bytes | None = None) -> str:
    issued = issue_as_smallholder(app, items=item_count, signature_image=signature_image)
    return str(issued.certificate.number)


class Clock:
    """`time.monotonic` for the snapshots module only: the test says when time passes."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(snapshots, "time", SimpleNamespace(monotonic=clock))
    return clock


class Worker:
    """One gunicorn worker's cache, asked the way a lookup asks it; counts real loads."""

    def __init__(self, app: Flask, cache: FactsCache) -> None:
        self.app = app
        self.cache = cache
        self.loads = 0

    def facts(self, certificate_id: int) -> CertificateFacts:
        with Session(get_engine(self.app)) as session:

            def load() -> CertificateFacts:
                self.loads += 1
                return load_certificate_facts(session, certificate_id, shared=True)

            return self.cache.certificate(session, certificate_id, load)

    def status(self, certificate_id: int) -> str:
        return self.facts(certificate_id).certificate.status

    def key_status(self, kid: str) -> str:
        with Session(get_engine(self.app)) as session:

            def load() -> dict[str, KeyFacts]:
                return load_key_facts(session)

            return self.cache.key(session, kid, load).status


def _revoke_in_another_process(app: Flask, number: str) -> None:
    """`traceability revoke` in its own interpreter: a commit this process never sees."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "TRACEABILITY_HOME": app.config["TRACEABILITY_HOME"],
    }
    done = subprocess.run(
        [sys.executable, "-m", "traceability", "revoke", number, "--reason", "另一进程撤销"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert number in done.stdout


@pytest.fixture
def valid_id(app: Flask, demo: dict[str, Any]) -> int:
    cert_id = _certificate(app, _valid(demo)["number"]).id
    assert cert_id is not None
    return cert_id


def test_a_worker_checking_every_time_sees_another_process_revoke_at_its_next_lookup(
    app: Flask, demo: dict[str, Any], valid_id: int
) -> None:
    worker_a = Worker(app, FactsCache(ttl=3600, freshness=0))
    assert worker_a.status(valid_id) == "valid"
    assert worker_a.status(valid_id) == "valid" and worker_a.loads == 1  # kept
    _revoke_in_another_process(app, _valid(demo)["number"])
    assert worker_a.status(valid_id) == "revoked"


def test_a_worker_serves_kept_facts_until_its_revision_check_is_due(
    app: Flask, demo: dict[str, Any], valid_id: int, clock: Clock
) -> None:
    worker_a = Worker(app, FactsCache(ttl=3600, freshness=30))
    worker_b = Worker(app, FactsCache(ttl=3600, freshness=0))
    assert worker_a.status(valid_id) == worker_b.status(valid_id) == "valid"
    _revoke_in_another_process(app, _valid(demo)["number"])
    clock.now += 29
    assert worker_b.status(valid_id) == "revoked"
    assert worker_a.status(valid_id) == "valid"  # its check is not due yet
    clock.now += 1
    assert worker_a.status(valid_id) == "revoked"


def test_a_commit_in_this_process_clears_every_cache_at_once(
    app: Flask, demo: dict[str, Any], valid_id: int, clock: Clock
) -> None:
    workers = [Worker(app, FactsCache(ttl=3600, freshness=3600)) for _ in range(2)]
    assert [w.status(valid_id) for w in workers] == ["valid", "valid"]
    with Session(get_engine(app)) as session:
        _revoke_certificate(session, _certificate(app, _valid(demo)["number"]), "")
        session.commit()
    assert [w.status(valid_id) for w in workers] == ["revoked", "revoked"]  # no time passed


def test_a_key_marked_compromised_in_this_process_is_seen_at_once(
    app: Flask, demo: dict[str, Any], valid_id: int, clock: Clock
) -> None:
    worker = Worker(app, FactsCache(ttl=3600, freshness=3600))
    kid = worker.facts(valid_id).certificate.kid
    assert worker.key_status(kid) == "active"
    with Session(get_engine(app)) as session:
        keystore.mark_compromised(session, kid, datetime.now(UTC) - timedelta(days=1))
        session.commit()
    assert worker.key_status(kid) == "compromised"


def test_a_rolled_back_change_does_not_clear_caches(
    app: Flask, demo: dict[str, Any], valid_id: int, clock: Clock
) -> None:
    worker = Worker(app, FactsCache(ttl=3600, freshness=0))
    worker.status(valid_id)
    with Session(get_engine(app)) as session:
        _revoke_certificate(session, _certificate(app, _valid(demo)["number"]), "")
        session.rollback()
        session.commit()  # nothing left to commit: no change to announce
    assert worker.status(valid_id) == "valid" and worker.loads == 1


def test_entries_expire_after_ttl_even_when_no_revision_moved(
    app: Flask, demo: dict[str, Any], valid_id: int, clock: Clock
) -> None:
    worker = Worker(app, FactsCache(ttl=60, freshness=0))
    assert worker.facts(valid_id).certificate.product_name == "黄瓜"
    with get_engine(app).begin() as connection:  # SQL typed by hand: no ORM, no revision
        connection.execute(
            update(Certificate)
            .where(col(Certificate.id) == valid_id)
            .values(product_name="黄瓜（改）")
        )
    clock.now += 59.9
    assert worker.facts(valid_id).certificate.product_name == "黄瓜"
    clock.now += 0.1
    assert worker.facts(valid_id).certificate.product_name == "黄瓜（改）"
    assert worker.loads == 2


@pytest.fixture
def certificate_ids(app: Flask, demo: dict[str, Any]) -> list[int]:
    with Session(get_engine(app)) as session:
        ids = session.exec(select(Certificate.id).order_by(col(Certificate.id))).all()
    assert len(ids) >= 3
    return [i for i in ids if i is not None]


def test_the_cache_never_holds_more_than_max_entries(
    app: Flask, certificate_ids: list[int], clock: Clock
) -> None:
    worker = Worker(app, FactsCache(ttl=3600, freshness=3600, max_entries=2))
    sizes = []
    for certificate_id in certificate_ids * 2:
        worker.facts(certificate_id)
        sizes.append(len(worker.cache))
    assert max(sizes) == 2
    assert worker.loads == 2 * len(certificate_ids)  # the oldest went first, every time round


def test_facts_of_another_certificate_are_not_served_for_a_kept_one(
    app: Flask, certificate_ids: list[int], clock: Clock
) -> None:
    worker = Worker(app, FactsCache(ttl=3600, freshness=3600))
    numbers = [worker.facts(i).certificate.number for i in certificate_ids]
    assert [worker.facts(i).certificate.number for i in certificate_ids] == numbers
    assert len(set(numbers)) == len(certificate_ids) and worker.loads == len(certificate_ids)


@pytest.fixture
def signed_certificate(app: Flask, demo: dict[str, Any]) -> int:
    """A certificate whose issuer uploaded a signature image."""
    number = _issue(app, signature_image=PNG_SIGNATURE)
    cert = _certificate(app, number)
    assert cert.signature_image == PNG_SIGNATURE and cert.id is not None
    return cert.id


def test_shared_facts_hold_a_detached_copy_without_the_signature_image(
    app: Flask, signed_certificate: int
) -> None:
    with Session(get_engine(app)) as session:  # expires its instances when it commits
        facts = load_certificate_facts(session, signed_certificate, shared=True)
        stored = session.get(Certificate, signed_certificate)
        assert stored is not None and facts.certificate is not stored
        session.commit()
    copy = facts.certificate
    assert inspect(copy).session is None
    assert copy.signature_image is None
    assert copy.snapshot() == {k: facts.record[k] for k in copy.snapshot()}
    assert copy.id == signed_certificate and copy.status == "valid"
    assert copy.issued_at.tzinfo is not None and copy.item_count == 1


def test_unshared_facts_keep_the_sessions_own_certificate(
    app: Flask, signed_certificate: int
) -> None:
    with Session(get_engine(app)) as session:
        facts = load_certificate_facts(session, signed_certificate, shared=False)
        assert facts.certificate is session.get(Certificate, signed_certificate)
        assert facts.certificate.signature_image == PNG_SIGNATURE


def test_a_change_committed_after_a_rolled_back_savepoint_clears_caches_at_once(
    app: Flask, demo: dict[str, Any], valid_id: int, clock: Clock
) -> None:
    worker = Worker(app, FactsCache(ttl=3600, freshness=3600))
    assert worker.status(valid_id) == "valid"
    with Session(get_engine(app)) as session:
        _revoke_certificate(session, _certificate(app, _valid(demo)["number"]), "")
        session.begin_nested().rollback()  # e.g. intake's insert that lost a race
        session.commit()
    assert worker.status(valid_id) == "revoked"


def test_facts_loaded_before_a_revocation_are_not_kept_after_it(
    app: Flask, demo: dict[str, Any], certificate_ids: list[int], valid_id: int
) -> None:
    """Three request threads of one worker (GUNICORN_THREADS > 1), interleaved by hand."""
    cache = FactsCache(ttl=3600, freshness=0)
    other_id = next(i for i in certificate_ids if i != valid_id)
    engine = get_engine(app)

    def load_then_others_run(session: Session) -> CertificateFacts:
        facts = load_certificate_facts(session, valid_id, shared=True)  # still valid
        with Session(engine) as revoking:  # thread 2 revokes …
            _revoke_certificate(revoking, _certificate(app, _valid(demo)["number"]), "")
            revoking.commit()
        Worker(app, cache).facts(other_id)  # … thread 3 looks up another certificate
        return facts

    with Session(engine) as session:
        cache.certificate(session, valid_id, lambda: load_then_others_run(session))
    assert Worker(app, cache).status(valid_id) == "revoked"
