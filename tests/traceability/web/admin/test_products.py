"""The products section of a producer's admin page: added and edited through the real
forms (CSRF and all), deactivated and reactivated with each row's button."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests.traceability.page_forms import forms_on
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.db import get_engine, session_scope
from traceability.models import AuditEntry, Producer, Product


def in_db(app: Flask, work: Any) -> Any:
    with app.app_context(), session_scope(get_engine()) as session:
        return work(session)


@pytest.fixture
def producer_id(app: Flask) -> int:
    """A producer just registered, with no products: its kiosk grid would be empty."""

    def make(session: Session) -> int:
        producer = Producer(kind="smallholder", name="王五", phone="13912345678")
        session.add(producer)
        session.flush()
        return producer.id or 0

    return int(in_db(app, make))


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    return sign_in(app, client, "county", role="county_admin")


def products(app: Flask, producer_id: int) -> list[Product]:
    def read(session: Session) -> list[Product]:
        query = select(Product).where(Product.producer_id == producer_id)
        found = list(session.exec(query.order_by(col(Product.id))).all())
        for product in found:
            session.expunge(product)
        return found

    return list(in_db(app, read))


def add(client: FlaskClient, producer_id: int, query: str = "", **fields: str) -> Any:
    path = f"/admin/producers/{producer_id}/products/new{query}"
    data = {"name": "黄瓜", "category": "vegetable", "default_unit": "kg", "gtin": "", **fields}
    return client.post(path, data={**data, "csrf_token": form_csrf(client, path)})


def page_text(client: FlaskClient, producer_id: int) -> str:
    return html.unescape(client.get(f"/admin/producers/{producer_id}").get_data(as_text=True))


def test_an_empty_catalogue_says_what_it_means_and_offers_to_add(
    admin: FlaskClient, producer_id: int
) -> None:
    page = page_text(admin, producer_id)
    assert "暂无产品" in page
    assert f'href="/admin/producers/{producer_id}/products/new"' in page


def test_a_product_added_with_the_form_shows_on_the_producers_page(
    app: Flask, admin: FlaskClient, producer_id: int
) -> None:
    answer = add(admin, producer_id, gtin="6901234567892", default_unit="斤")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/admin/producers/{producer_id}")
    [product] = products(app, producer_id)
    assert (product.name, product.default_unit, product.gtin, product.active) == (
        "黄瓜",
        "斤",
        "06901234567892",
        True,
    )
    page = page_text(admin, producer_id)
    assert "黄瓜" in page and "06901234567892" in page and "暂无产品" not in page


def test_a_form_without_its_csrf_token_is_refused(admin: FlaskClient, producer_id: int) -> None:
    data = {"name": "黄瓜", "category": "vegetable", "default_unit": "kg"}
    answer = admin.post(f"/admin/producers/{producer_id}/products/new", data=data)
    assert answer.status_code == 400


def test_each_problem_shows_beside_its_field(
    app: Flask, admin: FlaskClient, producer_id: int
) -> None:
    answer = add(admin, producer_id, gtin="6901234567891")
    assert answer.status_code == 422
    assert "校验位不符（应为 2）" in html.unescape(answer.get_data(as_text=True))
    assert products(app, producer_id) == []


def test_english_pages_give_the_english_reason(admin: FlaskClient, producer_id: int) -> None:
    answer = add(admin, producer_id, "?lang=en", gtin="12345")
    assert answer.status_code == 422
    assert "8, 12, 13 or 14 digits" in html.unescape(answer.get_data(as_text=True))


def test_a_second_active_product_of_the_same_name_is_refused_on_the_name(
    app: Flask, admin: FlaskClient, producer_id: int
) -> None:
    add(admin, producer_id)
    answer = add(admin, producer_id, category="other")
    assert answer.status_code == 422
    assert "已有在用的产品“黄瓜”" in html.unescape(answer.get_data(as_text=True))
    assert len(products(app, producer_id)) == 1


def test_a_gtin_already_in_use_is_refused_beside_the_gtin(
    app: Flask, admin: FlaskClient, producer_id: int
) -> None:
    add(admin, producer_id, gtin="6901234567892")
    answer = add(admin, producer_id, "?lang=en", name="香菇", gtin="06901234567892")
    assert answer.status_code == 422
    page = html.unescape(answer.get_data(as_text=True))
    gtin_field = page[page.index('name="gtin"') :]
    assert "GTIN 06901234567892 already identifies another active product" in gtin_field
    assert [p.name for p in products(app, producer_id)] == ["黄瓜"]


def test_the_edit_form_shows_the_product_and_saves_changes(
    app: Flask, admin: FlaskClient, producer_id: int
) -> None:
    add(admin, producer_id)
    [product] = products(app, producer_id)
    path = f"/admin/products/{product.id}/edit"
    assert 'value="黄瓜"' in admin.get(path).get_data(as_text=True)
    data = {"name": "旱黄瓜", "category": "vegetable", "default_unit": "箱", "gtin": "96385074"}
    answer = admin.post(path, data={**data, "csrf_token": form_csrf(admin, path)})
    assert answer.status_code == 302
    [edited] = products(app, producer_id)
    assert (edited.name, edited.default_unit, edited.gtin) == ("旱黄瓜", "箱", "00000096385074")
    assert "product.update" in in_db(app, lambda s: s.exec(select(AuditEntry.action)).all())


def test_each_rows_button_deactivates_and_reactivates_its_product(
    app: Flask, admin: FlaskClient, producer_id: int
) -> None:
    add(admin, producer_id)
    add(admin, producer_id, name="香菇")
    _, second = products(app, producer_id)
    page = forms_on(admin, f"/admin/producers/{producer_id}")
    assert page.repeated_ids() == []
    off = f"/admin/products/{second.id}/deactivate"
    assert admin.post(off, data={"csrf_token": page.tokens[off]}).status_code == 302
    assert [p.active for p in products(app, producer_id)] == [True, False]
    assert "已停用" in page_text(admin, producer_id)
    page = forms_on(admin, f"/admin/producers/{producer_id}")
    on = f"/admin/products/{second.id}/reactivate"
    assert admin.post(on, data={"csrf_token": page.tokens[on]}).status_code == 302
    assert [p.active for p in products(app, producer_id)] == [True, True]


def test_reactivating_beside_an_active_namesake_says_why_it_did_not(
    app: Flask, admin: FlaskClient, producer_id: int
) -> None:
    add(admin, producer_id)
    [old] = products(app, producer_id)
    page = forms_on(admin, f"/admin/producers/{producer_id}")
    off = f"/admin/products/{old.id}/deactivate"
    admin.post(off, data={"csrf_token": page.tokens[off]})
    add(admin, producer_id)
    page = forms_on(admin, f"/admin/producers/{producer_id}")
    on = f"/admin/products/{old.id}/reactivate"
    answer = admin.post(on, data={"csrf_token": page.tokens[on]}, follow_redirects=True)
    assert "已有在用的产品“黄瓜”" in html.unescape(answer.get_data(as_text=True))
    assert [p.active for p in products(app, producer_id)] == [False, True]


def test_a_producer_adds_its_own_products(
    app: Flask, client: FlaskClient, producer_id: int
) -> None:
    own = sign_in(app, client, "wangwu", role="producer", producer_id=producer_id)
    assert add(own, producer_id).status_code == 302
    assert [p.name for p in products(app, producer_id)] == ["黄瓜"]


def test_who_may_only_read_sees_the_products_without_buttons(
    app: Flask, client: FlaskClient, producer_id: int
) -> None:
    in_db(
        app,
        lambda s: s.add(Product(producer_id=producer_id, name="黄瓜", category="vegetable")),
    )
    operator = sign_in(app, client, "kuaijian", role="rapid_test_operator")
    page = page_text(operator, producer_id)
    assert "黄瓜" in page
    assert "/products/new" not in page and "/deactivate" not in page and "/edit" not in page
