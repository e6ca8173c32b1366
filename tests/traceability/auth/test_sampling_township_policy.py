"""The policy's rule for a test or case of an unknown seller: it belongs to the township where
its sample was taken (`sampled_in`); beside a producer that township widens nothing, and a
supervisor records only in its own townships."""

from __future__ import annotations

import pytest

from traceability.auth import policy
from traceability.auth.tokens import Principal
from traceability.errors import Forbidden, ValidationFailed

HOME, AWAY = 11, 12
SUPERVISOR = Principal("user", "1", "township_supervisor", township_ids=(HOME,))
COUNTY = Principal("user", "2", "county_admin")
OPERATOR = Principal("user", "3", "rapid_test_operator")
PRODUCER = Principal("user", "4", "producer", producer_id=7)


@pytest.mark.parametrize("action", ["case.read", "case.manage", "test.read", "test.record"])
def test_a_supervisor_acts_on_an_unknown_sellers_records_sampled_in_its_township(
    action: str,
) -> None:
    assert policy.allowed(SUPERVISOR, action, None, sampled_in=HOME)
    assert not policy.allowed(SUPERVISOR, action, None, sampled_in=AWAY)
    assert not policy.allowed(SUPERVISOR, action, None, sampled_in=None)  # county business


def test_county_roles_see_an_unknown_sellers_records_wherever_they_were_sampled() -> None:
    for where in (HOME, AWAY, None):
        assert policy.allowed(COUNTY, "case.manage", None, sampled_in=where)
        assert policy.allowed(OPERATOR, "test.read", None, sampled_in=where)
        assert not policy.allowed(PRODUCER, "test.read", None, sampled_in=where)


def test_the_refusal_says_the_sample_was_taken_outside_the_supervisors_townships() -> None:
    with pytest.raises(Forbidden) as refused:
        policy.require(SUPERVISOR, "case.read", None, sampled_in=AWAY)
    assert "抽样地点所在乡镇" in refused.value.message_zh
    assert "not taken in one of your townships" in refused.value.message_en


def test_recording_an_unknown_sellers_sample_needs_one_of_the_supervisors_townships() -> None:
    policy.require_test_record(SUPERVISOR, None, HOME)
    with pytest.raises(Forbidden):
        policy.require_test_record(SUPERVISOR, None, AWAY)
    with pytest.raises(ValidationFailed) as missing:
        policy.require_test_record(SUPERVISOR, None, None)
    assert missing.value.code == "township_required"
    assert missing.value.details == {"field": "township"}
    for anyone in (COUNTY, OPERATOR):
        policy.require_test_record(anyone, None, None)
        policy.require_test_record(anyone, None, AWAY)
