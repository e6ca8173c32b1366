"""A county with two tenants of each kind, and a credential for every caller.

Tenant A is what every call targets: producer 青禾绿源 in 城关街道, market A in 城关街道,
a terminal there. The "foreign_*" callers belong to tenant B (清河镇, the co-operative,
market B) and must be refused wherever the record is A's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlmodel import select

PASSWORD = "correct-horse-battery"
CALLERS = (
    "anonymous",
    "county_admin",
    "township_supervisor",
    "producer",
    "market_inspector",
    "rapid_test_operator",
    "kiosk",
    "foreign_supervisor",
    "foreign_producer",
    "foreign_market_inspector",
)


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # caller -> bearer secret
    usernames: dict[str, str] = field(default_factory=dict)  # caller -> username


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    # CSRF has its own tests; here every form post must reach the access check
    return {**app_config, "WTF_CSRF_ENABLED": False}


@pytest.fixture
def world(app: Flask, demo: dict[str, Any]) -> World:
    from traceability.accounts.service import UserInput, create_user
    from traceability.auth.tokens import create_token
    from traceability.compliance.lab_reports import attach_report
    from traceability.compliance.testing import record_test
    from traceability.db import get_engine, session_scope
    from traceability.intake.recall import recall_batch
    from traceability.issuing.revocation import find_certificate
    from traceability.kiosk import jobs, terminals
    from traceability.models import Batch, Market, Producer, ProductionBase, Region
    from traceability.models.compliance import ComplianceCase

    world = World()
    with app.app_context(), session_scope(get_engine()) as session:
        town = {r.code: r.id for r in session.exec(select(Region)).all()}
        a, b = town["379901001"], town["379901101"]
        producer_a = session.exec(
            select(Producer).where(Producer.name == "青禾绿源蔬菜有限公司")
        ).one()
        producer_b = session.exec(
            select(Producer).where(Producer.name.startswith("青禾县清河"))
        ).one()
        market_a = Market(name="城关农贸市场", kind="farmers_market", region_id=a)
        market_b = Market(name="清河超市", kind="supermarket", region_id=b)
        session.add_all([market_a, market_b])
        session.flush()
        base = ProductionBase(producer_id=producer_a.id or 0, name="东关蔬菜基地")
        session.add(base)
        number = demo["codes"][0]["number"]
        certificate = find_certificate(session, number)
        batches = session.exec(select(Batch).where(Batch.producer_id == producer_a.id)).all()
        terminal = terminals.register_terminal(session, name="城关一号机", township_id=a).terminal
        job = jobs.enqueue_certificate(session, terminal.id or 0, certificate)
        made = recall_batch(session, batches[1].id or 0, "抽检不合格")
        failed = record_test(
            session,
            {
                "batch_id": batches[1].id,
                "method": "enzyme_inhibition",
                "inhibition_rate": 71.5,
                "operator": "快检员",
            },
            recorded_by="lab",
        )
        case = session.exec(select(ComplianceCase).where(ComplianceCase.test_id == failed.id)).one()
        lab_test = record_test(
            session,
            {
                "batch_id": batches[0].id,
                "method": "lab_report",
                "lab_name": "县检测站",
                "report_no": "JC-1",
                "result": "合格",
                "operator": "检测员",
            },
            recorded_by="lab",
        )
        report = attach_report(session, lab_test, b"%PDF-1.4\n%%EOF\n", "r.pdf", uploaded_by="lab")
        scope: dict[str, dict[str, Any]] = {
            "county_admin": {},
            "township_supervisor": {"township_ids": [a]},
            "producer": {"producer_id": producer_a.id},
            "market_inspector": {"market_id": market_a.id},
            "rapid_test_operator": {},
            "kiosk": {},
            "foreign_supervisor": {"township_ids": [b]},
            "foreign_producer": {"producer_id": producer_b.id},
            "foreign_market_inspector": {"market_id": market_b.id},
        }
        for caller, extra in scope.items():
            role = caller.replace("foreign_", "").replace("supervisor", "township_supervisor")
            role = role.replace("township_township", "township")
            _, secret = create_token(session, name=caller, role=role, **extra)
            world.tokens[caller] = secret
            user = create_user(
                session, UserInput(username=f"m_{caller}", role=role, password=PASSWORD, **extra)
            )
            world.usernames[caller] = user.username
        target_user = create_user(
            session, UserInput(username="target", role="rapid_test_operator", password=PASSWORD)
        )
        target_token, _ = create_token(session, name="target", role="rapid_test_operator")
        session.flush()
        world.ids = {
            "township_a": a,
            "producer_a": producer_a.id,
            "market_a": market_a.id,
            "base_a": base.id,
            "certificate_a": number,
            "batch_a": batches[0].id,
            "terminal_a": terminal.id,
            "job_a": job.id,
            "recall_a": made.id,
            "test_a": failed.id,
            "case_a": case.id,
            "lab_test_a": lab_test.id,
            "report_a": report.id,
            "user": target_user.id,
            "token": target_token.id,
            "code_a": demo["codes"][0]["url"].rsplit("/c/", 1)[-1],
        }
    return world
