"""The market registry refuses a value longer than its column instead of cutting it short."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import in_session
from traceability.errors import ValidationFailed
from traceability.intake.markets import create_market
from traceability.models import Market


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("region", "长" * 101, ("所在地区不能超过 100 字", "The region must be 100")),
        ("address", "长" * 301, ("地址不能超过 300 字", "The address must be 300")),
        ("contact", "长" * 101, ("联系人不能超过 100 字", "The contact must be 100")),
    ],
)
def test_a_value_longer_than_its_column_is_refused_and_nothing_is_stored(
    app: Flask, field: str, value: str, words: tuple[str, str]
) -> None:
    texts = {"region": "", "address": "", "contact": "", field: value}

    def work(session: Session) -> ValidationFailed:
        with pytest.raises(ValidationFailed) as refused:
            create_market(
                session,
                name="青禾惠民超市",
                kind="supermarket",
                region=texts["region"],
                address=texts["address"],
                contact=texts["contact"],
            )
        assert session.exec(select(Market).where(Market.name == "青禾惠民超市")).all() == []
        return refused.value

    refusal = in_session(app, work)
    assert refusal.code == f"market_{field}_too_long"
    assert words[0] in refusal.message_zh and words[1] in refusal.message_en


def test_a_region_at_its_column_s_width_is_kept_whole(app: Flask) -> None:
    region = "长" * 100
    made = in_session(
        app,
        lambda s: create_market(s, name="青禾惠民超市", kind="supermarket", region=region).region,
    )
    assert made == region
