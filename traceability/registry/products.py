"""A producer's products (产品目录): what the kiosk's grid offers and certificates name.

The admin pages and the API call these functions; each write appends an audit entry in
the same transaction. The caller authorises (policy action `product.manage`, as for
bases); these functions decide whether the data is acceptable. Products are never
deleted: batches and certificates point at them, so one no longer sold is deactivated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from traceability.audit import record_audit, snapshot
from traceability.auth.tokens import Principal
from traceability.codes import GtinError, normalize_gtin
from traceability.codes.gtin import GTIN_LENGTHS, gtin_check_digit
from traceability.db import record_by_id
from traceability.errors import Conflict, NotFound
from traceability.issuing.service import UNITS
from traceability.models import Product
from traceability.models.product import (
    CATEGORY_ZH,
    UNIQUE_ACTIVE_GTIN,
    UNIQUE_ACTIVE_NAME,
    ProductCategory,
)
from traceability.registry.service import Problem, ProducerInvalid, get_producer

PRODUCT_FIELDS = ("producer_id", "name", "category", "gtin", "default_unit", "active")
NAME_MAX = 100  # the column's length (models/product.py)
_ECHO = 30  # how much of a rejected value a message repeats


class ProductInvalid(ProducerInvalid):
    """One or more product fields failed; `problems` says which and why (zh/en)."""

    code = "product_invalid"


class ProductTaken(Conflict):
    """An active product already has this name (of this producer) or this GTIN; `field`
    says which, so a form can show the refusal beside it."""

    def __init__(self, field: str, message_zh: str, message_en: str, *, code: str, other: int):
        super().__init__(message_zh, message_en, code=code, details={"duplicate": other})
        self.field = field


@dataclass
class ProductInput:
    """What a person typed (form, API body): raw text, checked by `check_product`."""

    name: str
    category: str
    default_unit: str = "kg"
    gtin: str = ""


@dataclass(frozen=True)
class CheckedProduct:
    name: str
    category: str
    default_unit: str
    gtin: str | None


def _check_gtin(raw: str, problems: list[Problem]) -> str | None:
    """GTIN-8/12/13/14 with its GS1 check digit, stored as GTIN-14 (the Digital Link form)."""
    digits = re.sub(r"[\s\-]", "", raw)
    if not digits:
        return None
    try:
        return normalize_gtin(digits)
    except GtinError:
        pass
    shown = raw.strip()[:_ECHO]
    if digits.isascii() and digits.isdigit() and len(digits) in GTIN_LENGTHS:
        expected = gtin_check_digit(digits[:-1])
        problems.append(
            Problem(
                "gtin",
                f"商品条码“{shown}”校验位不符（应为 {expected}），请对照包装上的条码核对。",
                f"GTIN {shown!r} fails its GS1 check digit (it should be {expected}); "
                "check it against the barcode on the pack.",
            )
        )
    else:
        problems.append(
            Problem(
                "gtin",
                f"商品条码“{shown}”无效：应为 8、12、13 或 14 位数字。",
                f"GTIN {shown!r} is invalid: 8, 12, 13 or 14 digits.",
            )
        )
    return None


def check_product(data: ProductInput) -> CheckedProduct:
    """Normalise and check every field at once, so a person sees all problems together."""
    problems: list[Problem] = []
    name = (data.name or "").strip()
    if not name:
        problems.append(Problem("name", "产品名称不能为空。", "The product needs a name."))
    elif len(name) > NAME_MAX:
        problems.append(
            Problem(
                "name",
                f"产品名称最多 {NAME_MAX} 个字（现为 {len(name)} 个）。",
                f"The product name is at most {NAME_MAX} characters (this one has {len(name)}).",
            )
        )
    category = (data.category or "").strip()
    if category not in {c.value for c in ProductCategory}:
        problems.append(
            Problem(
                "category",
                f"产品类别“{category[:_ECHO]}”无效，可选："
                + "、".join(f"{label}（{c.value}）" for c, label in CATEGORY_ZH.items())
                + "。",
                f"Unknown category {category[:_ECHO]!r}; one of: "
                + ", ".join(c.value for c in ProductCategory)
                + ".",
            )
        )
    unit = (data.default_unit or "").strip()
    if unit not in UNITS:
        problems.append(
            Problem(
                "default_unit",
                f"单位“{unit[:_ECHO]}”无效，可用：{'、'.join(UNITS)}。",
                f"Unit {unit[:_ECHO]!r} is not one of {', '.join(UNITS)}.",
            )
        )
    gtin = _check_gtin(data.gtin or "", problems)
    if problems:
        raise ProductInvalid(problems)
    return CheckedProduct(name=name, category=category, default_unit=unit, gtin=gtin)


def get_product(session: Session, product_id: int) -> Product:
    product = record_by_id(session, Product, product_id)
    if product is None:
        raise NotFound("找不到该产品。", "No such product.", code="product_not_found")
    return product


def products_of(session: Session, producer_id: int) -> list[Product]:
    """A producer's products, active and not, in the order they were added."""
    query = select(Product).where(Product.producer_id == producer_id)
    return list(session.exec(query.order_by(col(Product.id))).all())


def _refuse_same_name(session: Session, producer_id: int, name: str, exclude: int | None) -> None:
    """Two active products of one producer with one name would be one picture twice on
    the kiosk's grid, and nobody could tell which one a certificate was for."""
    query = select(Product).where(
        Product.producer_id == producer_id,
        Product.name == name,
        col(Product.active).is_(True),
    )
    for other in session.exec(query).all():
        if other.id != exclude:
            raise ProductTaken(
                "name",
                f"该生产主体已有在用的产品“{name}”（编号{other.id}）：请编辑该产品，或先停用它。",
                f"This producer already has an active product named {name!r} (#{other.id}); "
                "edit that one, or deactivate it first.",
                code="product_duplicate",
                other=other.id or 0,
            )


def _refuse_same_gtin(session: Session, gtin: str | None, exclude: int | None) -> None:
    """A GTIN identifies one trade item (GS1 General Specifications §4): two active products
    with one GTIN, of one producer or two, would make a Digital Link code name either.
    The other product may be another producer's, so only its number is shown."""
    if gtin is None:
        return
    query = select(Product).where(Product.gtin == gtin, col(Product.active).is_(True))
    for other in session.exec(query).all():
        if other.id != exclude:
            raise ProductTaken(
                "gtin",
                f"商品条码 {gtin} 已用于另一在用产品（编号{other.id}）：一个商品条码只能标识一种"
                "商品。请核对包装上的条码，或先停用那个产品。",
                f"GTIN {gtin} already identifies another active product (#{other.id}); a GTIN "
                "identifies one trade item. Check the barcode on the pack, or deactivate that "
                "product first.",
                code="gtin_in_use",
                other=other.id or 0,
            )


def _refuse_taken(
    session: Session, producer_id: int, name: str, gtin: str | None, exclude: int | None
) -> None:
    _refuse_same_name(session, producer_id, name, exclude)
    _refuse_same_gtin(session, gtin, exclude)


def _save_guarded(
    session: Session,
    product: Product,
    change: Callable[[], None],
    taken: tuple[int, str, str | None],
) -> None:
    """Apply `change` to `product` and write it, in a savepoint.

    The checks above read before writing, so a request saving the same name or GTIN at the
    same moment can pass them too; the unique indexes (models/product.py) then refuse the
    second write, which gets the same 409 its check would have given, with nothing written.
    """
    try:
        with session.begin_nested():
            change()
            session.add(product)
    except IntegrityError as exc:
        if not any(index in str(exc.orig) for index in _UNIQUE_MARKS):
            raise
        producer_id, name, gtin = taken
        _refuse_taken(session, producer_id, name, gtin, product.id)  # names the winner
        raise Conflict(  # the winner has since been deactivated or renamed
            "同一时间有人保存了同名或同条码的产品，本次未保存。请刷新后重试。",
            "Someone saved a product of the same name or GTIN at the same moment, so "
            "nothing was saved; reload and retry.",
            code="product_duplicate",
        ) from exc


# How each backend names a unique index a write broke: PostgreSQL by the index's name,
# SQLite by its columns ("UNIQUE constraint failed: product.producer_id, product.name").
_UNIQUE_MARKS = (
    UNIQUE_ACTIVE_NAME,
    UNIQUE_ACTIVE_GTIN,
    "product.producer_id, product.name",
    "product.gtin",
)


def _audit(
    session: Session,
    principal: Principal | None,
    action: str,
    product: Product,
    before: dict[str, object] | None = None,
) -> None:
    record_audit(
        session,
        principal,
        action,
        object_type="product",
        object_id=product.id,
        before=before,
        after=snapshot(product, PRODUCT_FIELDS),
    )


def add_product(
    session: Session, producer_id: int, data: ProductInput, *, principal: Principal | None = None
) -> Product:
    """Add a product to a producer's catalogue; it shows on the kiosk's grid at once."""
    get_producer(session, producer_id)
    checked = check_product(data)
    _refuse_taken(session, producer_id, checked.name, checked.gtin, None)
    product = Product(
        producer_id=producer_id,
        name=checked.name,
        category=checked.category,
        default_unit=checked.default_unit,
        gtin=checked.gtin,
        active=True,
    )
    _save_guarded(session, product, lambda: None, (producer_id, checked.name, checked.gtin))
    _audit(session, principal, "product.create", product)
    return product


def update_product(
    session: Session, product_id: int, data: ProductInput, *, principal: Principal | None = None
) -> Product:
    """Edit a product. Certificates already issued keep the name they were issued with."""
    product = get_product(session, product_id)
    checked = check_product(data)
    if product.active:
        _refuse_taken(session, product.producer_id, checked.name, checked.gtin, product.id)
    before = snapshot(product, PRODUCT_FIELDS)

    def change() -> None:
        product.name = checked.name
        product.category = checked.category
        product.default_unit = checked.default_unit
        product.gtin = checked.gtin

    taken = (product.producer_id, checked.name, checked.gtin)
    _save_guarded(session, product, change, taken)
    if snapshot(product, PRODUCT_FIELDS) != before:
        _audit(session, principal, "product.update", product, before)
    return product


def set_product_active(
    session: Session, product_id: int, active: bool, *, principal: Principal | None = None
) -> Product:
    """Deactivate (no longer offered, no new certificates) or reactivate a product.

    Asking for the state a product is already in changes nothing and records nothing.
    """
    product = get_product(session, product_id)
    if product.active == active:
        return product
    if active:
        _refuse_taken(session, product.producer_id, product.name, product.gtin, product.id)
    before = snapshot(product, PRODUCT_FIELDS)

    def change() -> None:
        product.active = active

    _save_guarded(session, product, change, (product.producer_id, product.name, product.gtin))
    action = "product.reactivate" if active else "product.deactivate"
    _audit(session, principal, action, product, before)
    return product
