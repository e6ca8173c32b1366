"""The issuing gate: each refusal reason, through the API and the CLI, with nothing issued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.compliance.conftest import (
    add_input,
    add_test,
    certificates,
    issue_body,
    refusals,
    suspend,
)
from traceability.models import Batch

YESTERDAY = date.today() - timedelta(days=1)


def banned(app: Flask, batch: Batch) -> dict[str, Any]:
    add_input(app, batch, substance="甲胺磷", product_name="50%甲胺磷乳油")
    return {}


def restricted(app: Flask, batch: Batch) -> dict[str, Any]:
    add_input(app, batch, substance="氧乐果")  # not on vegetables
    return {}


def inside_interval(app: Flask, batch: Batch) -> dict[str, Any]:
    used = YESTERDAY - timedelta(days=3)
    add_input(app, batch, substance="吡虫啉", interval_days=7, used_on=used.isoformat())
    return {}


def untested(app: Flask, batch: Batch) -> dict[str, Any]:
    return {"basis": ["self_test"]}


def linked_failed(app: Flask, batch: Batch) -> dict[str, Any]:
    test_id = add_test(app, batch, method="colloidal_gold", target="毒死蜱", result="positive")
    return {"basis": ["self_test"], "tests": [test_id]}


def untested_substance(app: Flask, batch: Batch) -> dict[str, Any]:
    add_input(app, batch, substance="吡虫啉")
    return {"basis": ["self_test"], "tests": [add_test(app, batch, inhibition_rate="8")]}


def latest_failed(app: Flask, batch: Batch) -> dict[str, Any]:
    add_test(app, batch, inhibition_rate="63.0")
    return {}


def suspended(app: Flask, batch: Batch) -> dict[str, Any]:
    suspend(app, batch.producer_id)
    return {}


REASONS: list[tuple[str, Callable[[Flask, Batch], dict[str, Any]], str]] = [
    ("banned_substance", banned, "甲胺磷"),
    ("restricted_substance", restricted, "蔬菜"),
    ("pre_harvest_interval", inside_interval, "安全间隔期为 7 天"),
    ("test_required", untested, "检测记录"),
    ("linked_test_failed", linked_failed, "不合格"),
    ("test_not_covering", untested_substance, "未覆盖：吡虫啉"),
    ("latest_test_failed", latest_failed, "不合格"),
    ("producer_suspended", suspended, "暂停"),
]


@pytest.mark.parametrize(("reason", "arrange", "words"), REASONS, ids=[r[0] for r in REASONS])
def test_the_api_refuses_and_records_why(
    client: FlaskClient,
    app: Flask,
    cucumbers: Batch,
    make_token: Any,
    reason: str,
    arrange: Callable[[Flask, Batch], dict[str, Any]],
    words: str,
) -> None:
    extra = arrange(app, cucumbers)
    before = certificates(app)
    response = client.post(
        "/api/v1/certificates", json=issue_body(cucumbers, **extra), headers=make_token()
    )
    body = response.get_json()
    assert response.status_code in (403, 422), body
    assert body["error"] == reason
    assert words in body["message_zh"] and body["message_en"]
    assert certificates(app) == before
    [refusal] = [r for r in refusals(app) if r.reason == reason]
    assert refusal.channel == "api" and refusal.producer_id == cucumbers.producer_id
    assert refusal.message_zh == body["message_zh"]


@pytest.mark.parametrize(("reason", "arrange", "words"), REASONS, ids=[r[0] for r in REASONS])
def test_the_cli_refuses_and_records_why(
    app: Flask,
    cucumbers: Batch,
    cli: Callable[..., Result],
    reason: str,
    arrange: Callable[[Flask, Batch], dict[str, Any]],
    words: str,
) -> None:
    extra = arrange(app, cucumbers)
    before = certificates(app)
    args = ["issue", "--producer-id", str(cucumbers.producer_id), "--batch-id", str(cucumbers.id)]
    args += ["--confirm-signature"]
    for basis in extra.get("basis", ["quality_control"]):
        args += ["--basis", basis]
    for test_id in extra.get("tests", []):
        args += ["--test-id", str(test_id)]
    result = cli(*args)
    assert result.exit_code != 0
    assert words in result.output
    assert certificates(app) == before
    assert [r.channel for r in refusals(app) if r.reason == reason] == ["cli"]


def test_a_passing_linked_test_backs_a_tested_basis(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    test_id = add_test(app, cucumbers, inhibition_rate="8")
    body = issue_body(cucumbers, basis=["self_test"], tests=[test_id])
    response = client.post("/api/v1/certificates", json=body, headers=make_token())
    assert response.status_code == 201, response.get_json()


def test_a_harvest_after_the_interval_issues(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    used = YESTERDAY - timedelta(days=7)
    add_input(app, cucumbers, substance="吡虫啉", interval_days=7, used_on=used.isoformat())
    response = client.post("/api/v1/certificates", json=issue_body(cucumbers), headers=make_token())
    assert response.status_code == 201, response.get_json()


def test_a_restricted_substance_is_allowed_on_other_crops(
    client: FlaskClient, app: Flask, demo: dict[str, Any], make_token: Any
) -> None:
    from sqlmodel import select

    from tests.traceability.compliance.conftest import in_session
    from traceability.models import Product

    def find(session: Any) -> Batch:
        product = session.exec(select(Product).where(Product.name == "红富士苹果")).one()
        return session.exec(select(Batch).where(Batch.product_id == product.id)).one()

    apples: Batch = in_session(app, find)
    add_input(app, apples, substance="毒死蜱")  # restricted on vegetables only
    response = client.post("/api/v1/certificates", json=issue_body(apples), headers=make_token())
    assert response.status_code == 201, response.get_json()


def test_a_product_level_entry_before_harvest_counts_for_the_batch(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, batch_id=None, product_id=cucumbers.product_id, substance="克百威")
    response = client.post("/api/v1/certificates", json=issue_body(cucumbers), headers=make_token())
    assert response.get_json()["error"] == "restricted_substance"


def _earlier_harvest(app: Flask, batch: Batch, harvested: date) -> None:
    """Another batch of the same product, picked on `harvested` (cucumbers are picked daily)."""
    from tests.traceability.compliance.conftest import in_session

    def add(session: Any) -> None:
        session.add(
            Batch(
                producer_id=batch.producer_id,
                product_id=batch.product_id,
                lot="EARLIER",
                quantity=Decimal("20"),
                unit="kg",
                harvest_date=harvested,
                origin_text="城关街道",
            )
        )

    in_session(app, add)


@pytest.mark.parametrize("days_before_that_harvest", [1, 0], ids=["before", "same-day"])
def test_an_interval_still_running_counts_though_a_harvest_came_between(
    client: FlaskClient,
    app: Flask,
    cucumbers: Batch,
    make_token: Any,
    days_before_that_harvest: int,
) -> None:
    """A spray with a 7-day interval rules out every harvest of that week, not only the first:
    the product's entries before its previous harvest are "used up" for the substance check,
    never for the interval (nor one dated the very day of that harvest)."""
    previous = YESTERDAY - timedelta(days=1)
    _earlier_harvest(app, cucumbers, previous)
    used = previous - timedelta(days=days_before_that_harvest)
    add_input(
        app,
        cucumbers,
        batch_id=None,
        product_id=cucumbers.product_id,
        substance="吡虫啉",
        interval_days=7,
        used_on=used.isoformat(),
    )
    before = certificates(app)
    response = client.post("/api/v1/certificates", json=issue_body(cucumbers), headers=make_token())
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["error"] == "pre_harvest_interval"
    assert f"{used} 使用的“吡虫啉”安全间隔期为 7 天" in body["message_zh"]
    assert certificates(app) == before


def test_an_interval_over_before_an_earlier_harvest_does_not_refuse(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    previous = YESTERDAY - timedelta(days=1)
    _earlier_harvest(app, cucumbers, previous)
    used = YESTERDAY - timedelta(days=7)
    add_input(
        app,
        cucumbers,
        batch_id=None,
        product_id=cucumbers.product_id,
        substance="吡虫啉",
        interval_days=7,
        used_on=used.isoformat(),
    )
    response = client.post("/api/v1/certificates", json=issue_body(cucumbers), headers=make_token())
    assert response.status_code == 201, response.get_json()
