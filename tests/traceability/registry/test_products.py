"""A producer's products: added, edited, deactivated and reactivated through the registry's
domain functions, with every field checked and every change in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from traceability.auth.tokens import Principal
from traceability.db import get_engine, session_scope
from traceability.errors import Conflict, NotFound
from traceability.issuing.service import UNITS
from traceability.models import AuditEntry, Producer, Product
from traceability.models.product import UNIQUE_ACTIVE_GTIN, UNIQUE_ACTIVE_NAME
from traceability.registry.products import (
    NAME_MAX,
    ProductInput,
    ProductInvalid,
    add_product,
    check_product,
    products_of,
    set_product_active,
    update_product,
)

SUPERVISOR = Principal("user", "7", "township_supervisor", township_ids=(1,), name="lisi")


@pytest.fixture
def in_db(app: Flask) -> Callable[[Callable[[Session], Any]], Any]:
    """Run `work(session)` in one committed transaction."""

    def run(work: Callable[[Session], Any]) -> Any:
        with app.app_context(), session_scope(get_engine()) as session:
            return work(session)

    return run


def new_producer(session: Session, name: str = "王五") -> int:
    """A producer just registered: no products yet."""
    producer = Producer(kind="smallholder", name=name, phone="13912345678")
    session.add(producer)
    session.flush()
    return producer.id or 0


def cucumbers(**changes: str) -> ProductInput:
    return ProductInput(
        **{"name": "黄瓜", "category": "vegetable", "default_unit": "kg", **changes}
    )


def problems_of(data: ProductInput) -> dict[str, tuple[str, str]]:
    with pytest.raises(ProductInvalid) as refused:
        check_product(data)
    assert refused.value.code == "product_invalid"
    return {p.field: (p.message_zh, p.message_en) for p in refused.value.problems}


def test_a_new_producers_product_is_added_to_its_catalogue(in_db: Any) -> None:
    def work(session: Session) -> list[tuple[str, str, str, bool]]:
        producer_id = new_producer(session)
        add_product(session, producer_id, cucumbers(default_unit="斤"))
        return [
            (p.name, p.category, p.default_unit, p.active)
            for p in products_of(session, producer_id)
        ]

    assert in_db(work) == [("黄瓜", "vegetable", "斤", True)]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("96385074", "00000096385074"),  # GTIN-8
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        ("6901234567892", "06901234567892"),  # GTIN-13 (EAN-13, 690-699: China)
        ("10614141000415", "10614141000415"),  # GTIN-14
        (" 6 901234 567892 ", "06901234567892"),  # as printed under the bars
        ("", None),  # optional
    ],
)
def test_a_gtin_of_8_12_13_or_14_digits_is_stored_as_gtin_14(
    typed: str, stored: str | None
) -> None:
    assert check_product(cucumbers(gtin=typed)).gtin == stored


def test_a_gtin_with_a_wrong_check_digit_is_refused_naming_the_right_one() -> None:
    zh, en = problems_of(cucumbers(gtin="6901234567891"))["gtin"]
    assert "校验位" in zh and "2" in zh
    assert "check digit" in en and "should be 2" in en


@pytest.mark.parametrize("typed", ["12345", "690123456789012", "69012345678a", "６９０１２３４５"])
def test_a_gtin_of_the_wrong_shape_is_refused(typed: str) -> None:
    zh, en = problems_of(cucumbers(gtin=typed))["gtin"]
    assert "8、12、13 或 14 位数字" in zh and "8, 12, 13 or 14 digits" in en


def test_every_problem_is_listed_at_once_in_both_languages() -> None:
    found = problems_of(ProductInput(name=" ", category="meat", default_unit="磅", gtin="1"))
    assert set(found) == {"name", "category", "default_unit", "gtin"}
    assert all(zh and en and zh != en for zh, en in found.values())
    assert "vegetable" in found["category"][1]  # says what to choose instead
    assert "斤" in found["default_unit"][0]


def test_the_name_may_fill_the_column_and_no_more() -> None:
    assert Product.__table__.c.name.type.length == NAME_MAX  # type: ignore[attr-defined]
    assert check_product(cucumbers(name="瓜" * NAME_MAX)).name == "瓜" * NAME_MAX
    zh, en = problems_of(cucumbers(name="瓜" * (NAME_MAX + 1)))["name"]
    assert str(NAME_MAX) in zh and str(NAME_MAX) in en


def test_every_unit_issuing_accepts_is_a_product_unit_and_nothing_else() -> None:
    for unit in UNITS:
        assert check_product(cucumbers(default_unit=unit)).default_unit == unit
    assert "default_unit" in problems_of(cucumbers(default_unit="lb"))


def test_a_product_of_a_producer_that_does_not_exist_is_not_found(in_db: Any) -> None:
    with pytest.raises(NotFound):
        in_db(lambda s: add_product(s, 999_999, cucumbers()))


def test_two_active_products_of_one_producer_may_not_share_a_name(in_db: Any) -> None:
    def work(session: Session) -> None:
        producer_id = new_producer(session)
        first = add_product(session, producer_id, cucumbers())
        with pytest.raises(Conflict) as refused:
            add_product(session, producer_id, cucumbers(name=" 黄瓜 ", category="other"))
        assert refused.value.code == "product_duplicate"
        assert refused.value.details == {"duplicate": first.id}
        add_product(session, new_producer(session, "赵六"), cucumbers())  # another producer's

    in_db(work)


def test_a_deactivated_product_frees_its_name_and_cannot_come_back_beside_its_successor(
    in_db: Any,
) -> None:
    def work(session: Session) -> None:
        producer_id = new_producer(session)
        old = add_product(session, producer_id, cucumbers())
        set_product_active(session, old.id or 0, False)
        add_product(session, producer_id, cucumbers(default_unit="箱"))
        with pytest.raises(Conflict):
            set_product_active(session, old.id or 0, True)
        assert old.active is False

    in_db(work)


def test_an_edit_may_not_take_the_name_of_another_active_product(in_db: Any) -> None:
    def work(session: Session) -> None:
        producer_id = new_producer(session)
        add_product(session, producer_id, cucumbers())
        mushrooms = add_product(session, producer_id, cucumbers(name="香菇"))
        with pytest.raises(Conflict):
            update_product(session, mushrooms.id or 0, cucumbers())
        update_product(session, mushrooms.id or 0, cucumbers(name="香菇", gtin="6901234567892"))
        assert (mushrooms.name, mushrooms.gtin) == ("香菇", "06901234567892")

    in_db(work)


def test_two_active_products_may_not_share_a_gtin_even_of_two_producers(in_db: Any) -> None:
    def work(session: Session) -> None:
        first = add_product(session, new_producer(session), cucumbers(gtin="6901234567892"))
        other_producer = new_producer(session, "赵六")
        with pytest.raises(Conflict) as refused:  # the same GTIN typed as GTIN-14
            add_product(session, other_producer, cucumbers(gtin="06901234567892"))
        assert refused.value.code == "gtin_in_use"
        assert refused.value.details == {"duplicate": first.id}
        assert "06901234567892" in refused.value.message_zh
        assert "06901234567892" in refused.value.message_en
        assert products_of(session, other_producer) == []

    in_db(work)


def test_a_deactivated_products_gtin_is_free_and_cannot_come_back_beside_its_successor(
    in_db: Any,
) -> None:
    def work(session: Session) -> None:
        old = add_product(session, new_producer(session), cucumbers(gtin="6901234567892"))
        set_product_active(session, old.id or 0, False)
        add_product(session, new_producer(session, "赵六"), cucumbers(gtin="6901234567892"))
        with pytest.raises(Conflict) as refused:
            set_product_active(session, old.id or 0, True)
        assert refused.value.code == "gtin_in_use"
        assert old.active is False

    in_db(work)


def test_an_edit_may_not_take_the_gtin_of_another_active_product(in_db: Any) -> None:
    def work(session: Session) -> None:
        producer_id = new_producer(session)
        add_product(session, producer_id, cucumbers(gtin="6901234567892"))
        mushrooms = add_product(session, producer_id, cucumbers(name="香菇"))
        with pytest.raises(Conflict) as refused:
            update_product(session, mushrooms.id or 0, cucumbers(name="香菇", gtin="6901234567892"))
        assert refused.value.code == "gtin_in_use"
        assert mushrooms.gtin is None

    in_db(work)


def insert_directly(session: Session, producer_id: int, active: bool = True, **fields: Any) -> None:
    """A row written past the registry's checks, as a racing request would get it written."""
    row = {"name": "黄瓜", "category": "vegetable", "gtin": None, **fields}
    session.add(Product(producer_id=producer_id, active=active, **row))
    session.flush()


@pytest.mark.parametrize(
    ("second", "index"),
    [
        # same producer, same name: PostgreSQL names the index, SQLite its columns
        ({"gtin": "06901234567908"}, (UNIQUE_ACTIVE_NAME, "product.producer_id, product.name")),
        ({"name": "旱黄瓜", "gtin": "06901234567892"}, (UNIQUE_ACTIVE_GTIN, "product.gtin")),
    ],
)
def test_the_database_itself_refuses_a_second_active_product_with_a_name_or_gtin_in_use(
    app: Flask, second: dict[str, Any], index: tuple[str, str]
) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        producer_id = new_producer(session)
        insert_directly(session, producer_id, gtin="06901234567892")
        insert_directly(session, producer_id, active=False, **second)  # inactive: allowed
        with pytest.raises(IntegrityError) as refused:
            insert_directly(session, producer_id, **second)
        session.rollback()
    message = str(refused.value.orig)
    assert any(mark in message for mark in index)


@pytest.mark.parametrize(
    ("second", "code"),
    [({"category": "other"}, "product_duplicate"), ({"name": "旱黄瓜"}, "gtin_in_use")],
)
def test_a_write_that_loses_the_race_gets_the_same_conflict_and_writes_nothing(
    in_db: Any, lose_race: Callable[[], list[str]], second: dict[str, str], code: str
) -> None:
    def setup(session: Session) -> tuple[int, int]:
        producer_id = new_producer(session)
        winner = add_product(session, producer_id, cucumbers(gtin="6901234567892"))
        return producer_id, winner.id or 0

    producer_id, winner = in_db(setup)

    checks = lose_race()

    def race(session: Session) -> tuple[Conflict, list[str]]:
        with pytest.raises(Conflict) as refused:
            add_product(session, producer_id, cucumbers(gtin="6901234567892", **second))
        # the transaction is still usable: the refused write is gone, nothing else is
        return refused.value, [p.name for p in products_of(session, producer_id)]

    refusal, names = in_db(race)
    assert checks == ["skipped", "refused"]  # the index refused; the check then named why
    assert (refusal.code, refusal.details) == (code, {"duplicate": winner})
    assert refusal.message_zh and refusal.message_en
    assert names == ["黄瓜"]
    assert in_db(lambda s: list(s.exec(select(AuditEntry.action)).all())) == ["product.create"]


def test_an_edit_or_a_reactivation_that_loses_the_race_is_refused_and_changes_nothing(
    in_db: Any, lose_race: Callable[[], list[str]]
) -> None:
    def work(session: Session) -> list[tuple[str, str | None, bool]]:
        producer_id = new_producer(session)
        add_product(session, producer_id, cucumbers(gtin="6901234567892"))
        mushrooms = add_product(session, producer_id, cucumbers(name="香菇"))
        old = add_product(session, producer_id, cucumbers(name="旧黄瓜"))
        set_product_active(session, old.id or 0, False)
        insert_directly(session, producer_id, name="旧黄瓜")
        checks = lose_race()
        with pytest.raises(Conflict) as edit:
            update_product(session, mushrooms.id or 0, cucumbers(gtin="6901234567892"))
        assert edit.value.code == "product_duplicate"
        assert checks == ["skipped", "refused"]
        lose_race()
        with pytest.raises(Conflict) as reactivation:
            set_product_active(session, old.id or 0, True)
        assert reactivation.value.code == "product_duplicate"
        assert checks == ["skipped", "refused"]
        return [(p.name, p.gtin, p.active) for p in (mushrooms, old)]

    assert in_db(work) == [("香菇", None, True), ("旧黄瓜", None, False)]


def test_each_change_is_audited_with_who_before_and_after(in_db: Any) -> None:
    def work(session: Session) -> list[AuditEntry]:
        producer_id = new_producer(session)
        product = add_product(session, producer_id, cucumbers(), principal=SUPERVISOR)
        update_product(session, product.id or 0, cucumbers(default_unit="箱"), principal=SUPERVISOR)
        set_product_active(session, product.id or 0, False, principal=SUPERVISOR)
        set_product_active(session, product.id or 0, True, principal=SUPERVISOR)
        query = select(AuditEntry).where(AuditEntry.object_type == "product")
        return list(session.exec(query.order_by(col(AuditEntry.id))).all())

    entries = in_db(work)
    assert [e.action for e in entries] == [
        "product.create",
        "product.update",
        "product.deactivate",
        "product.reactivate",
    ]
    assert {(e.actor, e.role) for e in entries} == {("user:7", "township_supervisor")}
    create, update, deactivate, _ = entries
    assert create.before is None and create.after["name"] == "黄瓜"
    assert (update.before["default_unit"], update.after["default_unit"]) == ("kg", "箱")
    assert (deactivate.before["active"], deactivate.after["active"]) == (True, False)
    assert len({e.object_id for e in entries}) == 1


def test_an_edit_or_a_deactivation_that_changes_nothing_records_nothing(in_db: Any) -> None:
    def work(session: Session) -> list[str]:
        product = add_product(session, new_producer(session), cucumbers())
        update_product(session, product.id or 0, cucumbers(name=" 黄瓜"))
        set_product_active(session, product.id or 0, True)
        return list(session.exec(select(AuditEntry.action)).all())

    assert in_db(work) == ["product.create"]
