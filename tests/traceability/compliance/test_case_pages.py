"""The 检打联动 pages end to end: a supervisor records a re-test from the case page, the case
says what happened to a sample of an unknown seller, and its history reads in the page's
language and on Beijing's clock."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import add_test, in_session, issue_body
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.auth.policy import township_of_producer
from traceability.beijing_time import format_beijing
from traceability.models import Batch, Producer, Region
from traceability.models.compliance import ComplianceCase, RapidTest


def _townships(app: Flask, batch: Batch) -> tuple[int, int]:
    """The batch's township and another one of the demo county."""

    def find(session: Session) -> tuple[int, int]:
        home = township_of_producer(session, batch.producer_id)
        other = session.exec(
            select(Region).where(Region.level == "township", Region.id != home)
        ).first()
        assert home is not None and other is not None and other.id is not None
        return home, other.id

    return in_session(app, find)


@pytest.fixture
def supervisor(app: Flask, client: FlaskClient, cucumbers: Batch) -> FlaskClient:
    """A township supervisor of the cucumbers' township (as the demo's `chengguan`)."""
    home, _elsewhere = _townships(app, cucumbers)
    return sign_in(app, client, "sup-home", role="township_supervisor", township_ids=[home])


def _case_of(app: Flask, batch: Batch) -> ComplianceCase:
    return in_session(
        app,
        lambda s: s.exec(select(ComplianceCase).where(ComplianceCase.batch_id == batch.id)).one(),
    )


def _failed_rapid_test(app: Flask, batch: Batch) -> int:
    """A positive enzyme test on `batch` just now (4 hours to ask for a re-test): the case id."""
    add_test(app, batch, inhibition_rate="66")
    return _case_of(app, batch).id or 0


def _enter_retest(client: FlaskClient, case_id: int, result: str) -> Any:
    """The case page's button, then the lab report typed into the form it opens."""
    path = f"/compliance/tests?retest_of_case={case_id}"
    data = {
        "csrf_token": form_csrf(client, path),
        "retest_of_case": str(case_id),
        "method": "lab_report",
        "product_name": "黄瓜",
        "lab_name": "青禾县农产品质量安全检测站",
        "report_no": "QH2026-0200",
        "items": "有机磷类",
        "result": result,
        "operator": "检测员",
    }
    return client.post(path, data=data)


def _issue(client: FlaskClient, batch: Batch, make_token: Any) -> Any:
    return client.post("/api/v1/certificates", json=issue_body(batch), headers=make_token())


# --- A re-test from the pages -----------------------------------------------------------


def test_the_case_page_opens_the_test_form_bound_to_the_case(
    app: Flask, supervisor: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed_rapid_test(app, cucumbers)
    page = supervisor.get(f"/compliance/cases/{case_id}").get_data(as_text=True)
    assert f'href="/compliance/tests?retest_of_case={case_id}"' in page
    form = supervisor.get(f"/compliance/tests?retest_of_case={case_id}").get_data(as_text=True)
    assert f"录入复检结果：案件 #{case_id}" in form
    assert f'name="retest_of_case" type="hidden" value="{case_id}"' in form
    assert '<option selected value="lab_report">' in form  # the only method a re-test may use
    assert 'value="enzyme_inhibition"' not in form and 'name="batch_id"' not in form
    assert 'name="product_name" type="text" value="黄瓜"' in form


def test_a_passing_retest_entered_on_the_page_lifts_the_block(
    app: Flask, supervisor: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    case_id = _failed_rapid_test(app, cucumbers)
    assert _issue(supervisor, cucumbers, make_token).status_code == 422
    response = _enter_retest(supervisor, case_id, "pass")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/compliance/cases/{case_id}")
    case = _case_of(app, cucumbers)
    assert case.blocking is False and case.state == "investigating" and case.retest_test_id
    retest = in_session(app, lambda s: s.get(RapidTest, case.retest_test_id))
    assert retest.retest_of_case_id == case_id and retest.batch_id == cucumbers.id
    assert retest.channel == "page"
    page = html.unescape(supervisor.get(f"/compliance/cases/{case_id}").get_data(as_text=True))
    assert "合格，已解除开具限制" in page  # the flash
    assert "录入复检结果（实验室检测）" not in page  # one re-test per case
    assert _issue(supervisor, cucumbers, make_token).status_code == 201


def test_a_failing_retest_entered_on_the_page_keeps_the_block(
    app: Flask, supervisor: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    case_id = _failed_rapid_test(app, cucumbers)
    assert _enter_retest(supervisor, case_id, "fail").status_code == 302
    case = _case_of(app, cucumbers)
    assert case.blocking is True and case.retest_test_id is not None
    page = html.unescape(supervisor.get(f"/compliance/cases/{case_id}").get_data(as_text=True))
    assert "不合格，开具限制不变" in page
    assert _issue(supervisor, cucumbers, make_token).status_code == 422
    # a failed re-test opens no second case
    assert len(in_session(app, lambda s: s.exec(select(ComplianceCase)).all())) == 1


def test_a_supervisor_cannot_enter_a_retest_for_another_townships_case(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed_rapid_test(app, cucumbers)
    _home, elsewhere = _townships(app, cucumbers)
    foreign = sign_in(app, client, "other", role="township_supervisor", township_ids=[elsewhere])
    assert foreign.get(f"/compliance/tests?retest_of_case={case_id}").status_code == 403
    data = {
        "csrf_token": form_csrf(foreign, "/compliance/tests"),
        "retest_of_case": str(case_id),
        "method": "lab_report",
        "product_name": "黄瓜",
        "lab_name": "站",
        "report_no": "R-1",
        "result": "pass",
        "operator": "检测员",
    }
    assert foreign.post("/compliance/tests", data=data).status_code == 403
    assert _case_of(app, cucumbers).blocking is True
    assert len(in_session(app, lambda s: s.exec(select(RapidTest)).all())) == 1


def test_a_rapid_test_operator_gets_no_retest_form(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    """As the API answers: attaching a re-test to a case is managing the case."""
    case_id = _failed_rapid_test(app, cucumbers)
    operator = sign_in(app, client, "tester", role="rapid_test_operator")
    assert operator.get(f"/compliance/tests?retest_of_case={case_id}").status_code == 403


def test_a_retest_of_another_batch_is_refused(
    app: Flask, client: FlaskClient, cucumbers: Batch, make_token: Any
) -> None:
    """A re-test samples what the failed test sampled, even from the API."""
    case_id = _failed_rapid_test(app, cucumbers)
    sibling = in_session(
        app,
        lambda s: s.exec(
            select(Batch.id).where(
                Batch.producer_id == cucumbers.producer_id, Batch.id != cucumbers.id
            )
        ).first(),
    )
    assert sibling is not None  # the demo enterprise harvests more than cucumbers
    body = {
        "retest_of_case": case_id,
        "batch_id": sibling,
        "method": "lab_report",
        "lab_name": "站",
        "report_no": "R-1",
        "result": "pass",
        "operator": "检测员",
    }
    response = client.post("/api/v1/tests", json=body, headers=make_token())
    assert response.status_code == 422
    assert response.get_json()["error"] == "retest_subject_mismatch"
    assert _case_of(app, cucumbers).blocking is True


# --- A sample of an unknown seller -----------------------------------------------------


def _unknown_seller_fails(client: FlaskClient) -> str:
    data = {
        "csrf_token": form_csrf(client, "/compliance/tests"),
        "method": "enzyme_inhibition",
        "product_name": "小白菜",
        "sample_no": "CG-0107",
        "place": "城关农贸市场 12 号摊",
        "inhibition_rate": "71",
        "operator": "快检员",
        "result": "",
    }
    response = client.post("/compliance/tests", data=data, follow_redirects=True)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_a_failed_sample_of_an_unknown_seller_says_it_blocks_nothing(
    app: Flask, admin: FlaskClient, demo: dict[str, Any]
) -> None:
    flashed = _unknown_seller_fails(admin)
    assert "样品未关联批次或产品，没有撤销或限制任何合格证" in flashed
    assert "不合格，已开立案件并撤销该批次合格证" not in flashed
    case = in_session(app, lambda s: s.exec(select(ComplianceCase)).one())
    assert case.revoked_certificates == 0
    assert "立案：不合格检测 T1，样品未关联批次或产品" in html.unescape(
        admin.get(f"/compliance/cases/{case.id}").get_data(as_text=True)
    )
    listed = admin.get("/compliance/cases").get_data(as_text=True)
    assert "<td>来源不明</td>" in listed and "<td>是</td>" not in listed
    page = html.unescape(admin.get(f"/compliance/cases/{case.id}").get_data(as_text=True))
    assert "否：样品未关联批次或产品，没有可限制的合格证" in page
    assert "<dd>是</dd>" not in page
    assert "小白菜" in page and "CG-0107" in page and "城关农贸市场 12 号摊" in page
    assert "来源不明（未登记的销售者）" in page


def test_a_failed_test_of_a_known_batch_still_says_its_certificates_were_revoked(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed_rapid_test(app, cucumbers)
    page = html.unescape(admin.get(f"/compliance/cases/{case_id}").get_data(as_text=True))
    assert '<dd class="blocking">是</dd>' in page and "样品未关联批次或产品" not in page


# --- The history (经过) in the page's language and on Beijing's clock -------------------


def _case_with_a_history(app: Flask, client: FlaskClient, batch: Batch) -> tuple[int, datetime]:
    """A failed test, its case opened half an hour ago, then a disposal and a re-test asked
    for on the page: the case id and when it opened."""
    opened = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    tested = (opened - timedelta(minutes=10)).isoformat()
    add_test(app, batch, inhibition_rate="66", tested_at=tested, now=opened)
    case_id = _case_of(app, batch).id or 0
    path = f"/compliance/cases/{case_id}"
    for action in ("disposal", "retest-request"):
        data = {
            "csrf_token": form_csrf(client, path),
            "action": action,
            "disposal": "就地销毁 50 kg",
        }
        assert client.post(path, data=data).status_code == 302
    return case_id, opened


def _history(page: str) -> str:
    start = page.index('<ol class="history">')
    return html.unescape(page[start : page.index("</ol>", start)])


def test_the_case_history_reads_in_chinese_on_beijing_time(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id, opened = _case_with_a_history(app, admin, cucumbers)
    history = _history(admin.get(f"/compliance/cases/{case_id}").get_data(as_text=True))
    assert f"{format_beijing(opened)} · 立案：不合格检测 T1，撤销合格证" in history
    assert "处置措施：就地销毁 50 kg" in history and "已申请复检" in history
    assert "opened" not in history and "re-test" not in history and "disposal" not in history
    assert opened.isoformat()[:16] not in history  # no UTC ISO time


def test_the_case_history_reads_in_english_on_an_english_page(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id, opened = _case_with_a_history(app, admin, cucumbers)
    page = admin.get(f"/compliance/cases/{case_id}?lang=en").get_data(as_text=True)
    history = _history(page)
    assert f"{format_beijing(opened)} · Opened: failed test T1, " in history
    assert "Disposal: 就地销毁 50 kg" in history and "Re-test requested" in history
    assert "立案" not in history and "申请" not in history
    # the failed test's result, as the rest of the page
    assert "· Failed ·" in page and "不合格" not in page


def test_history_written_before_events_were_stored_still_reads_in_the_page_language(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed_rapid_test(app, cucumbers)

    def as_stored_before(session: Session) -> None:
        case = session.get(ComplianceCase, case_id)
        assert case is not None
        at = "2026-12-05T00:08:00+00:00"
        case.history = [
            {"at": at, "what": "opened: failed test T1, 2 certificate(s) revoked", "actor": "t"},
            {"at": at, "what": "disposal: 就地销毁", "actor": "user:1"},
            {"at": at, "what": "re-test requested", "actor": "user:1"},
            {
                "at": at,
                "what": "re-test T2 passed, asked inside the window; block lifted",
                "actor": "token:1",
            },
            {"at": at, "what": "investigating", "actor": "user:1"},
            {"at": at, "what": "closed: cleared", "actor": "user:1"},
            {"at": "yesterday", "what": "note added by hand", "actor": "admin"},
        ]
        session.add(case)

    in_session(app, as_stored_before)
    history = _history(admin.get(f"/compliance/cases/{case_id}").get_data(as_text=True))
    for line in [
        "2026-12-05 08:08 · 立案：不合格检测 T1，撤销合格证 2 张 · t",
        "处置措施：就地销毁",
        "已申请复检",
        "复检 T2 合格，复检在申请期内申请：解除开具限制",
        "开始调查",
        "结案：排除，解除开具限制",
        "yesterday · note added by hand · admin",  # a line of no known form, as stored
    ]:
        assert line in history
    assert "opened:" not in history and "closed:" not in history


# --- The lists -------------------------------------------------------------------------


def test_the_cases_list_names_the_producer(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    _failed_rapid_test(app, cucumbers)
    name = in_session(
        app,
        lambda s: s.exec(select(Producer.name).where(Producer.id == cucumbers.producer_id)).one(),
    )
    listed = admin.get("/compliance/cases").get_data(as_text=True)
    assert f"<td>{name}</td>" in listed


def test_the_tests_list_links_a_failed_test_and_its_retest_to_the_case(
    app: Flask, supervisor: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed_rapid_test(app, cucumbers)
    _enter_retest(supervisor, case_id, "fail")
    listed = supervisor.get("/compliance/tests").get_data(as_text=True)
    link = f'<a class="case-link" href="/compliance/cases/{case_id}">案件 #{case_id}</a>'
    assert listed.count(link) == 2  # T1 opened it, T2 re-tested it


def test_a_rapid_test_operator_sees_the_case_number_without_a_link(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    case_id = _failed_rapid_test(app, cucumbers)
    operator = sign_in(app, client, "tester", role="rapid_test_operator")
    listed = operator.get("/compliance/tests").get_data(as_text=True)
    assert f'<small class="case-link">案件 #{case_id}</small>' in listed
    assert f'href="/compliance/cases/{case_id}"' not in listed
