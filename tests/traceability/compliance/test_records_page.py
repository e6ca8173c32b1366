"""The production-record page: a producer writes its own input-use record book on the web,
is told at once when a substance rules the harvest out, and sees no one else's records."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from tests.traceability.compliance.conftest import in_session
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.auth.policy import township_of_producer
from traceability.models import Batch, Producer, Product, Region
from traceability.models.compliance import InputUse


def _records(app: Flask) -> list[InputUse]:
    return list(in_session(app, lambda s: s.exec(select(InputUse)).all()))


def _form(
    client: FlaskClient, batch: Batch, path: str = "/compliance/records", **values: Any
) -> TestResponse:
    data = {
        "csrf_token": form_csrf(client, path),
        "product_id": str(batch.product_id),
        "batch_id": str(batch.id),
        "kind": "pesticide",
        "substance": "吡虫啉",
        "product_name": "一遍净",
        "registration_no": "PD20080001",
        "dose": "10% 可湿性粉剂 1500 倍液",
        "method": "喷雾",
        "used_on": (date.today() - timedelta(days=20)).isoformat(),
        "operator": "王师傅",
        "interval_days": "7",
    }
    data.update(values)
    return client.post(path, data=data, follow_redirects=True)


@pytest.fixture
def grower(app: Flask, client: FlaskClient, cucumbers: Batch) -> FlaskClient:
    """The producer of the demo cucumbers, signed in."""
    return sign_in(app, client, "grower", role="producer", producer_id=cucumbers.producer_id)


def test_a_producer_records_an_input_use_on_its_batch(
    app: Flask, grower: FlaskClient, cucumbers: Batch
) -> None:
    page = grower.get("/compliance/records").get_data(as_text=True)
    assert "生产记录" in page and "黄瓜" in page and "安全间隔期/休药期" in page
    answer = _form(grower, cucumbers).get_data(as_text=True)
    (entry,) = _records(app)
    assert (entry.producer_id, entry.batch_id, entry.product_id) == (
        cucumbers.producer_id,
        cucumbers.id,
        cucumbers.product_id,
    )
    assert (entry.substance, entry.interval_days) == ("吡虫啉", 7)
    assert entry.recorded_by.startswith("user:")
    assert f"已保存生产记录 #{entry.id}" in answer
    assert "不能开具合格证：" not in answer  # the gate's finding, not the page's own note
    assert "一遍净" in answer and "PD20080001" in answer  # in the list below the form


def test_a_banned_substance_is_recorded_and_flagged_at_once(
    app: Flask, grower: FlaskClient, cucumbers: Batch
) -> None:
    answer = _form(grower, cucumbers, substance="甲胺磷").get_data(as_text=True)
    assert len(_records(app)) == 1  # the record book keeps what happened
    assert "不能开具合格证：" in answer and "甲胺磷" in answer


def test_the_warning_comes_in_english_too(
    app: Flask, grower: FlaskClient, cucumbers: Batch
) -> None:
    grower.get("/compliance/records?lang=en")
    answer = _form(grower, cucumbers, substance="甲胺磷").get_data(as_text=True)
    assert "Cannot issue" in answer and "Production record #" in answer
    assert "Production records" in answer


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"substance": ""}, "该字段是必填字段"),
        ({"used_on": (date.today() + timedelta(days=3)).isoformat()}, "使用日期不能晚于今天"),
        ({"interval_days": "-1"}, "数值大小必须介于 0 到 3650 之间"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_stored(
    app: Flask, grower: FlaskClient, cucumbers: Batch, values: dict[str, str], message: str
) -> None:
    response = _form(grower, cucumbers, **values)
    assert response.status_code == 422  # the form again, with the field to correct
    assert message in response.get_data(as_text=True)
    assert _records(app) == []


def test_a_batch_of_another_product_is_refused(
    app: Flask, grower: FlaskClient, cucumbers: Batch
) -> None:
    def other_product(session: Session) -> Product:
        product = Product(producer_id=cucumbers.producer_id, name="番茄", category="蔬菜")
        session.add(product)
        session.flush()
        return product

    tomato = in_session(app, other_product)
    response = _form(grower, cucumbers, product_id=str(tomato.id))
    assert "所选批次不是所选产品的批次" in response.get_data(as_text=True)
    assert _records(app) == []


def test_a_producer_sees_and_writes_only_its_own_book(
    app: Flask, grower: FlaskClient, cucumbers: Batch
) -> None:
    def someone_else(session: Session) -> tuple[int, int]:
        producer = session.exec(
            select(Producer).where(Producer.id != cucumbers.producer_id)
        ).first()
        assert producer is not None and producer.id is not None
        batch = session.exec(select(Batch).where(Batch.producer_id == producer.id)).first()
        assert batch is not None and batch.id is not None
        return producer.id, batch.id

    other, their_batch = in_session(app, someone_else)
    page = grower.get(f"/compliance/records?producer_id={other}").get_data(as_text=True)
    assert "黄瓜" in page  # the grower's own book, whatever the address asks for
    response = _form(grower, cucumbers, batch_id=str(their_batch))
    assert response.status_code == 422
    assert _records(app) == []  # not a choice offered to this producer


def test_supervisors_pick_a_producer_in_their_townships_only(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    def townships(session: Session) -> tuple[int, int]:
        home = township_of_producer(session, cucumbers.producer_id)
        assert home is not None
        other = session.exec(
            select(Region).where(Region.level == "township", Region.id != home)
        ).first()
        assert other is not None and other.id is not None
        return home, other.id

    home, elsewhere = in_session(app, townships)
    supervisor = sign_in(app, client, "sup", role="township_supervisor", township_ids=[home])
    assert 'name="producer_id"' in supervisor.get("/compliance/records").get_data(as_text=True)
    path = f"/compliance/records?producer_id={cucumbers.producer_id}"
    _form(supervisor, cucumbers, path=path)
    (entry,) = _records(app)
    assert entry.producer_id == cucumbers.producer_id and entry.recorded_by.startswith("user:")
    supervisor.get("/logout")
    foreign = sign_in(app, client, "sup2", role="township_supervisor", township_ids=[elsewhere])
    assert foreign.get(path).status_code == 403


def test_only_supervisors_get_the_producer_chooser(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    inspector = sign_in(app, client, "tester", role="rapid_test_operator")
    assert inspector.get("/compliance/records").status_code == 403


def test_an_unknown_producer_number_is_a_clear_404(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    admin = sign_in(app, client, "county", role="county_admin")
    response = admin.get("/compliance/records?producer_id=99999")
    assert response.status_code == 404
    assert "找不到该生产主体" in response.get_data(as_text=True)


def test_the_page_needs_a_signed_in_user(client: FlaskClient, demo: dict[str, Any]) -> None:
    response = client.get("/compliance/records")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("substance", "advice"),
    [
        ("吡虫啉", "吡虫啉不能用酶抑制率法快检，要用吡虫啉试纸条或送检。"),
        ("辛硫磷", "辛硫磷可用酶抑制率法快检。"),
        (
            "溴氰菊酯",
            "溴氰菊酯不能用酶抑制率法快检，要用溴氰菊酯试纸条（或拟除虫菊酯类试纸条）或送检。",
        ),
    ],
)
def test_saving_a_pesticide_says_which_test_would_cover_it(
    app: Flask, grower: FlaskClient, cucumbers: Batch, substance: str, advice: str
) -> None:
    answer = _form(grower, cucumbers, substance=substance).get_data(as_text=True)
    assert "提示：承诺依据选检测时，须检这次用的药。" + advice in answer


def test_saving_a_fertiliser_gives_no_test_advice(
    app: Flask, grower: FlaskClient, cucumbers: Batch
) -> None:
    answer = _form(grower, cucumbers, kind="fertilizer", substance="尿素").get_data(as_text=True)
    assert "已保存生产记录" in answer and "须检这次用的药" not in answer


def test_the_test_advice_comes_in_english_too(
    app: Flask, grower: FlaskClient, cucumbers: Batch
) -> None:
    grower.get("/compliance/records?lang=en")
    answer = _form(grower, cucumbers, substance="辛硫磷").get_data(as_text=True)
    assert "phoxim: covered by an enzyme-inhibition rapid test" in answer
