"""The product catalogue: what a producer sells, with its category."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from traceability.translatable import N_


class ProductCategory(StrEnum):
    """The categories the 2025 Order covers (MARA Order 2025 No. 4, Art. 2)."""

    VEGETABLE = "vegetable"  # 蔬菜（含人工种植的食用菌）
    FRUIT = "fruit"  # 水果
    TEA = "tea"  # 茶鲜叶
    LIVESTOCK = "livestock"  # 畜禽
    EGG = "egg"  # 禽蛋
    AQUATIC = "aquatic"  # 养殖水产品
    OTHER = "other"  # 其他（自愿开具）


CATEGORY_ZH = {
    ProductCategory.VEGETABLE: N_("蔬菜"),
    ProductCategory.FRUIT: N_("水果"),
    ProductCategory.TEA: N_("茶鲜叶"),
    ProductCategory.LIVESTOCK: N_("畜禽"),
    ProductCategory.EGG: N_("禽蛋"),
    ProductCategory.AQUATIC: N_("养殖水产品"),
    ProductCategory.OTHER: N_("其他"),
}


# What the registry refuses (registry/products.py), also held by the database, so two
# requests that pass the check at the same moment cannot both be saved. Only active rows
# count: a deactivated product keeps its name and GTIN for the certificates that cite it.
ACTIVE_ONLY: dict[str, Any] = {"postgresql_where": text("active"), "sqlite_where": text("active")}
UNIQUE_ACTIVE_NAME = "uq_product_producer_active_name"  # one producer, one name on the grid
UNIQUE_ACTIVE_GTIN = "uq_product_active_gtin"  # a GTIN identifies one trade item (GS1)


class Product(SQLModel, table=True):
    __table_args__ = (
        Index(UNIQUE_ACTIVE_NAME, "producer_id", "name", unique=True, **ACTIVE_ONLY),
        Index(UNIQUE_ACTIVE_GTIN, "gtin", unique=True, **ACTIVE_ONLY),
    )

    id: int | None = Field(default=None, primary_key=True)
    producer_id: int = Field(foreign_key="producer.id", index=True)
    name: str = Field(max_length=100)
    category: str = Field(max_length=20, index=True)
    gtin: str | None = Field(default=None, max_length=14)
    default_unit: str = Field(default="kg", max_length=10)
    active: bool = Field(default=True)


# Pictures for the kiosk's product grid (people who read little pick by picture).
CATEGORY_ICONS: dict[str, str] = {
    ProductCategory.VEGETABLE: "🥬",
    ProductCategory.FRUIT: "🍎",
    ProductCategory.TEA: "🍃",
    ProductCategory.LIVESTOCK: "🐖",
    ProductCategory.EGG: "🥚",
    ProductCategory.AQUATIC: "🐟",
    ProductCategory.OTHER: "🧺",
}
