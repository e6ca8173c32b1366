"""检打联动: a failed test revokes, blocks and opens a case; a timely passing re-test lifts it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.traceability.compliance.conftest import (
    add_test,
    certificates,
    failed_lab_case,
    in_session,
    issue_body,
)
from traceability.beijing_time import SECONDS, format_beijing
from traceability.compliance import cases
from traceability.compliance.testing import record_test
from traceability.errors import Conflict
from traceability.models import Batch
from traceability.models.compliance import ComplianceCase, RapidTest
from traceability.working_days import Schedule, use_schedule

LAB_PASS = {
    "method": "lab_report",
    "lab_name": "青禾县农产品质量安全检测站",
    "report_no": "QH2026-0042",
    "items": ["有机磷类"],
    "result": "pass",
    "operator": "检测员",
}


def _issue(client: FlaskClient, batch: Batch, headers: dict[str, str]) -> Any:
    return client.post("/api/v1/certificates", json=issue_body(batch), headers=headers)


def positive_gold_strip(app: Flask, batch: Batch, tested: datetime) -> None:
    """A gold strip for 毒死蜱 read positive at `tested`: a failed test that opens a case."""
    add_test(
        app,
        batch,
        method="colloidal_gold",
        target="毒死蜱",
        result="阳性",
        tested_at=tested.isoformat(),
        now=tested,
    )


def _case(app: Flask, batch: Batch) -> ComplianceCase:
    from sqlmodel import select

    return in_session(
        app,
        lambda s: s.exec(select(ComplianceCase).where(ComplianceCase.batch_id == batch.id)).one(),
    )


def _retest(app: Flask, case_id: int, now: datetime) -> None:
    def work(session: Any) -> None:
        record_test(session, LAB_PASS | {"retest_of_case": case_id}, recorded_by="lab", now=now)

    in_session(app, work)


def test_a_failed_test_revokes_the_batch_and_the_public_lookup_says_why(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    issued = _issue(client, cucumbers, make_token()).get_json()
    url = issued["items"][0]["url"]
    response = client.post(
        "/api/v1/tests",
        json={
            "batch_id": cucumbers.id,
            "method": "enzyme_inhibition",
            "inhibition_rate": 71.5,
            "operator": "快检员",
        },
        headers=make_token(),
    )
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["test"]["result"] == "fail"
    assert (
        answer["case"]["blocking"] is True and answer["case"]["revoked_certificates"] == 2
    )  # the demo's and ours
    path = urlsplit(url).path
    public = client.get(path, headers={"Accept": "application/json"}).get_json()
    assert public["verdict"]["status"] == "revoked"
    assert "检测不合格" in public["verdict"]["reason"]
    assert public["certificate"]["revoke_reason"] == public["verdict"]["reason"]
    assert public["certificate"]["tests"][0]["result"] == "fail"
    assert public["certificate"]["tests"][0]["inhibition_rate"] == "71.50"
    page = client.get(path).get_data(as_text=True)
    assert "检测不合格" in page and "酶抑制率法" in page


def test_issuing_stays_blocked_after_a_failed_test(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_test(app, cucumbers, inhibition_rate="55")
    before = certificates(app)
    response = _issue(client, cucumbers, make_token())
    assert response.status_code == 422
    assert certificates(app) == before


def test_a_passing_retest_inside_the_window_restores_issuing(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    tested = datetime.now(UTC) - timedelta(hours=1)
    add_test(app, cucumbers, inhibition_rate="55", tested_at=tested.isoformat(), now=tested)
    case = _case(app, cucumbers)
    assert case.retest_deadline == tested + timedelta(hours=4)
    _retest(app, case.id or 0, now=tested + timedelta(hours=3, minutes=59))
    assert _case(app, cucumbers).blocking is False
    assert _issue(client, cucumbers, make_token()).status_code == 201


def test_a_passing_retest_outside_the_window_does_not(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    tested = datetime.now(UTC) - timedelta(hours=6)
    add_test(app, cucumbers, inhibition_rate="55", tested_at=tested.isoformat(), now=tested)
    case = _case(app, cucumbers)
    _retest(app, case.id or 0, now=tested + timedelta(hours=4, minutes=1))
    assert _case(app, cucumbers).blocking is True
    response = _issue(client, cucumbers, make_token())
    assert response.get_json()["error"] == "batch_blocked"


def test_a_retest_asked_for_in_time_counts_even_when_the_lab_answers_later(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    tested = datetime.now(UTC) - timedelta(days=2)
    positive_gold_strip(app, cucumbers, tested)
    case_id = _case(app, cucumbers).id or 0
    in_session(
        app,
        lambda s: cases.request_retest(
            s, cases.get_case(s, case_id), actor="p", now=tested + timedelta(hours=2)
        ),
    )
    _retest(app, case_id, now=tested + timedelta(days=1))
    assert _issue(client, cucumbers, make_token()).status_code == 201


def test_a_retest_must_not_be_a_rapid_method(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_test(app, cucumbers, inhibition_rate="80")
    case_id = _case(app, cucumbers).id
    body = {
        "retest_of_case": case_id,
        "method": "enzyme_inhibition",
        "inhibition_rate": 5,
        "operator": "x",
    }
    response = client.post("/api/v1/tests", json=body, headers=make_token())
    assert response.status_code == 422
    assert response.get_json()["error"] == "retest_must_not_be_rapid"


def test_a_case_runs_disposal_investigation_and_closes_with_an_outcome(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    tested = datetime.now(UTC) - timedelta(hours=5)  # the 4-hour re-test window has passed
    add_test(app, cucumbers, inhibition_rate="80", tested_at=tested.isoformat(), now=tested)
    case_id = _case(app, cucumbers).id
    headers = make_token("county_admin")
    steps = [
        ("disposal", {"disposal": "就地销毁 50 kg"}),
        ("investigate", {}),
        ("close", {"outcome": "warning", "note": "责令改正"}),
    ]
    for action, body in steps:
        response = client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=headers)
        assert response.status_code == 200, response.get_json()
    case = response.get_json()["case"]
    assert case["state"] == "closed" and case["outcome"] == "warning" and case["disposal"]
    assert case["blocking"] is True  # only "cleared" lifts the block
    late = client.post(f"/api/v1/cases/{case_id}/retest-request", headers=headers)
    assert late.status_code == 409


def test_a_producer_cannot_close_its_own_case(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_test(app, cucumbers, inhibition_rate="80")
    case_id = _case(app, cucumbers).id
    own = make_token("producer", producer_id=cucumbers.producer_id)
    response = client.post(
        f"/api/v1/cases/{case_id}/close", json={"outcome": "cleared"}, headers=own
    )
    assert response.status_code == 403
    assert client.post(f"/api/v1/cases/{case_id}/retest-request", headers=own).status_code == 200


def _lab_fail(tested_at: datetime) -> RapidTest:
    return RapidTest(
        product_name="黄瓜",
        method="lab_report",
        result="fail",
        operator="检测员",
        tested_at=tested_at,
    )


def test_a_lab_result_leaves_five_working_days_on_beijing_s_calendar_with_its_holidays() -> None:
    # Friday 13 Feb 2026, 10:00 Beijing: Sat 14 is a make-up working day, 15-23 the
    # Spring Festival; the 5th working day is Friday 27 Feb, to its last second
    deadline = cases.retest_deadline(_lab_fail(datetime(2026, 2, 13, 2, tzinfo=UTC)))
    assert format_beijing(deadline, SECONDS) == "2026-02-27 23:59:59"
    # Sunday 20:00 UTC is Monday 04:00 in Beijing: the count starts from Monday
    deadline = cases.retest_deadline(_lab_fail(datetime(2026, 12, 6, 20, tzinfo=UTC)))
    assert format_beijing(deadline, SECONDS) == "2026-12-14 23:59:59"


def test_a_deadline_counted_in_a_year_without_a_schedule_is_marked_an_estimate() -> None:
    known = _lab_fail(datetime(2026, 2, 13, 2, tzinfo=UTC))
    assert not cases.deadline_estimated(known, cases.retest_deadline(known))
    unknown = _lab_fail(datetime(2040, 9, 28, 2, tzinfo=UTC))  # a year no schedule names
    assert cases.deadline_estimated(unknown, cases.retest_deadline(unknown))
    # 4 hours after a rapid test: no working days, so nothing to estimate
    rapid = RapidTest(
        product_name="黄瓜",
        method="enzyme_inhibition",
        result="fail",
        operator="检测员",
        tested_at=unknown.tested_at,
    )
    assert not cases.deadline_estimated(rapid, cases.retest_deadline(rapid))


# made up for the test, not a published schedule: National Day 1-5 Oct 2040, with the
# Saturdays 29 Sep and 6 Oct made working days
SCHEDULE_2040 = {
    **{date(2040, 10, day): False for day in range(1, 6)},
    date(2040, 9, 29): True,
    date(2040, 10, 6): True,
}


@pytest.fixture
def case_tested_in_2040(app: Flask, cucumbers: Batch) -> Iterator[int]:
    """A failed lab case whose test is dated Friday 28 Sep 2040, 10:00 Beijing time: a year
    no schedule names, as a case opened late in December reaches into the next year."""
    case_id = failed_lab_case(app, cucumbers)

    def into_an_unknown_year(session: Session) -> None:
        case = session.get(ComplianceCase, case_id)
        assert case is not None
        test = session.get(RapidTest, case.test_id)
        assert test is not None
        test.tested_at = datetime(2040, 9, 28, 2, tzinfo=UTC)
        session.add(test)

    in_session(app, into_an_unknown_year)
    yield case_id
    use_schedule(Schedule())


def test_the_case_page_says_when_its_deadline_is_an_estimate(
    admin: FlaskClient, case_tested_in_2040: int
) -> None:
    note = "按周一至周五估算"
    page = admin.get(f"/compliance/cases/{case_tested_in_2040}").get_data(as_text=True)
    # Monday to Friday: 1-5 October are the five working days after the test
    assert note in page and "2040-10-05 23:59" in page
    english = admin.get(f"/compliance/cases/{case_tested_in_2040}?lang=en").get_data(as_text=True)
    assert "counted Monday to Friday" in english


def test_a_schedule_imported_after_the_case_opened_moves_its_deadline_everywhere(
    admin: FlaskClient, app: Flask, make_token: Any, case_tested_in_2040: int
) -> None:
    """The law's 5th working day counts, not the Monday-to-Friday estimate made before."""
    case_id = case_tested_in_2040
    use_schedule(Schedule(SCHEDULE_2040))  # what the app does at start with the file
    page = admin.get(f"/compliance/cases/{case_id}").get_data(as_text=True)
    # 29 Sep, 6, 8, 9 and 10 Oct are the working days now
    assert "2040-10-10 23:59" in page and "按周一至周五估算" not in page
    listed = admin.get("/compliance/cases").get_data(as_text=True)
    assert "2040-10-10 23:59" in listed and "2040-10-05 23:59" not in listed
    county = make_token("county_admin")
    answer = admin.get(f"/api/v1/cases/{case_id}", headers=county).get_json()
    assert answer["case"]["retest_deadline"] == "2040-10-10T15:59:59+00:00"
    # asked on Monday 8 Oct: past the estimate, inside the real window
    asked = datetime(2040, 10, 8, 2, tzinfo=UTC)
    state = in_session(
        app,
        lambda s: cases.request_retest(s, cases.get_case(s, case_id), actor="p", now=asked).state,
    )
    assert state == "retest_requested"


def test_the_late_retest_request_names_the_deadline_in_beijing_time(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    tested = datetime.now(UTC) - timedelta(hours=6)
    positive_gold_strip(app, cucumbers, tested)
    case = _case(app, cucumbers)
    with pytest.raises(Conflict) as refused:
        in_session(
            app,
            lambda s: cases.request_retest(s, cases.get_case(s, case.id or 0), actor="p"),
        )
    shown = format_beijing(case.retest_deadline)
    assert f"北京时间 {shown}" in refused.value.message_zh
    assert f"{shown} Beijing time" in refused.value.message_en


def test_the_revocation_reason_names_the_day_of_the_test_sheet_not_the_utc_day() -> None:
    # 07:00 on 4 Dec in Beijing is still 3 Dec in UTC
    test = RapidTest(
        id=12,
        product_name="黄瓜",
        method="colloidal_gold",
        target="毒死蜱",
        result="fail",
        operator="检测员",
        tested_at=datetime(2026, 12, 3, 23, tzinfo=UTC),
    )
    assert cases.revocation_reason(test).startswith("抽检不合格：2026-12-04 ")
