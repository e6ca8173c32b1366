"""Fixtures for the compliance specifications: the demo county with one vegetable batch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from tests.traceability.signing_in import sign_in
from traceability.cli import main
from traceability.db import get_engine, session_scope
from traceability.models import Batch, Certificate, Producer
from traceability.models.compliance import ComplianceCase, IssueRefusal


def in_session(app: Flask, work: Callable[[Session], Any]) -> Any:
    with app.app_context(), session_scope(get_engine()) as session:
        return work(session)


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    """The test client signed in as a county admin, who may use every compliance page."""
    return sign_in(app, client, "compliance-admin", role="county_admin")


def failed_lab_case(app: Flask, batch: Batch, **values: Any) -> int:
    """A failed lab report on `batch` (so a case opens); the case's id."""
    entry = {
        "method": "lab_report",
        "lab_name": "青禾县农产品质量安全检测站",
        "report_no": "QH2026-0100",
        "items": ["毒死蜱"],
        "result": "fail",
        **values,
    }
    add_test(app, batch, **entry)
    return int(
        in_session(
            app,
            lambda s: s.exec(
                select(ComplianceCase.id).where(ComplianceCase.batch_id == batch.id)
            ).one(),
        )
    )


def issue_body(batch: Batch, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "producer_id": batch.producer_id,
        "batch_id": batch.id,
        "items": 2,
        "basis": ["quality_control"],
        "signature_confirmed": True,
    }
    body.update(extra)
    return body


def add_input(app: Flask, batch: Batch, **values: Any) -> None:
    from traceability.compliance.records import record_input_use

    entry = {
        "batch_id": batch.id,
        "kind": "pesticide",
        "substance": "吡虫啉",
        "dose": "10% 可湿性粉剂 1500 倍液",
        "method": "喷雾",
        "used_on": (date.today() - timedelta(days=20)).isoformat(),
        "operator": "王师傅",
    }
    entry.update(values)
    in_session(app, lambda s: record_input_use(s, batch.producer_id, entry, recorded_by="test"))


def add_test(app: Flask, batch: Batch, **values: Any) -> int:
    from traceability.compliance.testing import record_test

    now = values.pop("now", None)
    entry = {
        "batch_id": batch.id,
        "method": "enzyme_inhibition",
        "inhibition_rate": "12.5",
        "operator": "检测员",
        "instrument": "RP-01",
    }
    entry.update(values)
    return int(in_session(app, lambda s: record_test(s, entry, recorded_by="test", now=now).id))


def count(app: Flask, model: Any) -> int:
    return int(in_session(app, lambda s: s.exec(select(func.count()).select_from(model)).one()))


def certificates(app: Flask) -> int:
    return count(app, Certificate)


def refusals(app: Flask) -> list[IssueRefusal]:
    return list(in_session(app, lambda s: s.exec(select(IssueRefusal)).all()))


def suspend(app: Flask, producer_id: int) -> None:
    def work(session: Session) -> None:
        producer = session.get(Producer, producer_id)
        assert producer is not None
        producer.status = "suspended"
        session.add(producer)

    in_session(app, work)


@pytest.fixture
def cli(
    app: Flask, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run `traceability …` against the test app's database and instance folder."""
    monkeypatch.setenv("DATABASE_URL", str(app_config["DATABASE_URL"]))
    monkeypatch.setenv("TRACEABILITY_HOME", str(Path(str(app_config["TRACEABILITY_HOME"]))))
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost")
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, list(args))

    return run


def failed_enzyme_case(app: Flask, batch: Batch, *, hours_ago: float = 1.0) -> tuple[int, datetime]:
    """A positive enzyme test `hours_ago` (its re-test window is 4 hours): the case it opened
    and when the sample was tested."""
    tested = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours_ago)
    add_test(app, batch, inhibition_rate="66", tested_at=tested.isoformat(), now=tested)
    case_id = in_session(
        app,
        lambda s: s.exec(
            select(ComplianceCase.id).where(ComplianceCase.batch_id == batch.id)
        ).one(),
    )
    return int(case_id), tested
