"""Administrative divisions: county (6 digits), township (9) and village (12)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class RegionLevel(StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class Region(SQLModel, table=True):
    """A division with its GB/T 2260 / GB/T 10114 / NBS code.

    Codes are renamed and retired over time; old certificates keep pointing at
    the code they were issued under, so retired rows stay with `retired=True`.
    """

    __table_args__ = (UniqueConstraint("code", "code_year", name="uq_region_code_year"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=12, index=True)
    code_year: int = Field(default=2024)
    name: str = Field(max_length=100)
    level: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    retired: bool = Field(default=False)
