"""The tests page (/compliance/tests): what each test covers, what it costs to show, and who
gets an upload form."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlmodel import Session, select

from tests.traceability.compliance.conftest import add_test, in_session
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.auth.tokens import Principal
from traceability.compliance.lab_reports import attachable_tests, may_attach
from traceability.compliance.testing import record_test
from traceability.db import get_engine
from traceability.models import Batch, Producer, Region
from traceability.models.compliance import LabReportFile, RapidTest
from traceability.models.producer import ProducerKind


def _regions(session: Session) -> dict[str, int]:
    """Two townships of the demo county and a village of the first."""
    towns = session.exec(select(Region).where(Region.level == "township")).all()
    home, away = towns[0], towns[1]
    village = session.exec(select(Region).where(Region.parent_id == home.id)).first()
    assert home.id and away.id and village and village.id
    return {"home": home.id, "away": away.id, "village": village.id}


def _lab_test(session: Session, region_id: int | None, n: int) -> RapidTest:
    """A lab-report test of a new smallholder in `region_id` (None: no region at all)."""
    producer = Producer(kind=ProducerKind.SMALLHOLDER, name=f"农户{n}", region_id=region_id)
    session.add(producer)
    session.flush()
    values = {
        "producer_id": producer.id,
        "method": "lab_report",
        "lab_name": "县检测站",
        "report_no": f"R-{n}",
        "items": ["毒死蜱"],
        "product_name": "黄瓜",
        "result": "合格",
        "operator": "检测员",
    }
    return record_test(session, values, recorded_by="test")


def _add_lab_tests(app: Flask, region_key: str, how_many: int, start: int) -> None:
    def work(session: Session) -> None:
        region = _regions(session)[region_key]
        for n in range(start, start + how_many):
            _lab_test(session, region, n)

    in_session(app, work)


def _statements_for(client: FlaskClient, path: str) -> int:
    statements: list[str] = []

    def count_statement(*args: Any) -> None:
        statements.append(args[2])

    with client.application.app_context():
        engine = get_engine()
    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    assert response.status_code == 200
    return len(statements)


def _row(html: str, test_id: int) -> str:
    found = re.search(rf"<td>T{test_id}</td>.*?</tr>", html, re.DOTALL)
    assert found, f"T{test_id} is listed"
    return found.group(0)


def _enzyme_and_strip(app: Flask, batch: Batch) -> tuple[int, int]:
    enzyme = add_test(app, batch, method="enzyme_inhibition", inhibition_rate="8.0")
    strip = add_test(
        app, batch, method="colloidal_gold", target="吡虫啉、克百威", result="negative"
    )
    return enzyme, strip


def test_each_test_says_what_it_covers_at_the_gate(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    """An enzyme-inhibition card covers two classes; a gold strip the substances it names."""
    enzyme, strip = _enzyme_and_strip(app, cucumbers)
    html = admin.get("/compliance/tests").get_data(as_text=True)
    assert "检测范围：有机磷类、氨基甲酸酯类" in _row(html, enzyme)
    assert "检测范围：吡虫啉、克百威" in _row(html, strip)


def test_what_a_test_covers_reads_in_english_on_the_english_page(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    """Classes by their English names, a listed substance by its English name, others as
    written (as the gate's refusal names them)."""
    enzyme, strip = _enzyme_and_strip(app, cucumbers)
    html = admin.get("/compliance/tests?lang=en").get_data(as_text=True)
    assert "Covers: organophosphates, carbamates" in _row(html, enzyme)
    assert "Covers: 吡虫啉, carbofuran" in _row(html, strip)


def test_a_class_strip_is_shown_to_cover_its_class(
    app: Flask, admin: FlaskClient, pigs: Batch
) -> None:
    strip = add_test(app, pigs, method="colloidal_gold", target="喹诺酮类", result="negative")
    zh = admin.get("/compliance/tests").get_data(as_text=True)
    en = admin.get("/compliance/tests?lang=en").get_data(as_text=True)
    assert "检测范围：喹诺酮类<" in _row(zh, strip)
    assert "Covers: quinolones<" in _row(en, strip)


def test_the_tests_page_costs_as_many_queries_with_30_rows_as_with_3(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """Each row's upload form asks whether the supervisor may attach: in one query for all;
    what each test covers is read from the row itself."""
    _add_lab_tests(app, "village", 3, start=1)
    home = in_session(app, lambda s: _regions(s)["home"])
    supervisor = sign_in(app, client, "sup", role="township_supervisor", township_ids=[home])
    few = _statements_for(supervisor, "/compliance/tests")
    html = supervisor.get("/compliance/tests").get_data(as_text=True)
    assert html.count('class="attach-report"') == 3
    assert html.count("检测范围：毒死蜱") == 3
    _add_lab_tests(app, "village", 27, start=4)
    many = _statements_for(supervisor, "/compliance/tests")
    html = supervisor.get("/compliance/tests").get_data(as_text=True)
    assert html.count('class="attach-report"') == 30
    assert html.count("检测范围：毒死蜱") == 30
    assert few == many


def test_the_batched_question_answers_as_may_attach_does_for_each_test(
    app: Flask, demo: dict[str, Any]
) -> None:
    def check(session: Session) -> None:
        regions = _regions(session)
        tests = [
            _lab_test(session, regions["village"], 1),  # a village of the supervisor's township
            _lab_test(session, regions["home"], 2),  # the township itself
            _lab_test(session, regions["away"], 3),  # another township
            _lab_test(session, None, 4),  # a producer placed nowhere
        ]
        unknown_seller = {"method": "lab_report", "lab_name": "站", "result": "合格",
                          "operator": "检测员", "product_name": "白菜"}  # fmt: skip
        sampled_home = record_test(
            session,
            unknown_seller | {"report_no": "R1", "township": regions["home"]},
            recorded_by="t",
        )
        sampled_away = record_test(
            session,
            unknown_seller | {"report_no": "R2", "township": regions["away"]},
            recorded_by="t",
        )
        sampled_nowhere = record_test(
            session, unknown_seller | {"report_no": "R3"}, recorded_by="t"
        )
        tests += [sampled_home, sampled_away, sampled_nowhere]
        principals = [
            Principal("user", "1", "township_supervisor", township_ids=(regions["home"],)),
            Principal("user", "2", "township_supervisor", township_ids=()),
            Principal("user", "3", "county_admin"),
            Principal("user", "4", "rapid_test_operator"),
            Principal("user", "5", "producer", producer_id=tests[0].producer_id),
            Principal("user", "6", "market_inspector", market_id=1),
        ]
        for principal in principals:
            one_by_one = {t.id for t in tests if may_attach(session, principal, t)}
            assert attachable_tests(session, principal, tests) == one_by_one, principal.role
        supervisor = principals[0]
        # an unknown seller's test by the township where it was sampled
        expected = {tests[0].id, tests[1].id, sampled_home.id}
        assert attachable_tests(session, supervisor, tests) == expected
        county, operator = principals[2], principals[3]
        every = {t.id for t in tests}
        assert attachable_tests(session, county, tests) == every
        assert attachable_tests(session, operator, tests) == every

    in_session(app, check)


def test_a_supervisor_cannot_attach_to_a_test_of_a_producer_outside_their_townships(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    def tests_here_and_away(session: Session) -> tuple[int, int, int]:
        regions = _regions(session)
        here = _lab_test(session, regions["village"], 1).id
        away = _lab_test(session, regions["away"], 2).id
        assert here and away
        return regions["home"], here, away

    home, here, away = in_session(app, tests_here_and_away)
    supervisor = sign_in(app, client, "sup", role="township_supervisor", township_ids=[home])
    html = supervisor.get("/compliance/tests").get_data(as_text=True)
    assert f'action="/compliance/tests/{here}/report"' in html
    assert f'action="/compliance/tests/{away}/report"' not in html
    data = {"csrf_token": form_csrf(supervisor, "/compliance/tests"), "report": upload()}
    refused = supervisor.post(
        f"/compliance/tests/{away}/report", data=data, content_type="multipart/form-data"
    )
    assert refused.status_code == 404  # not theirs even to see, as the API answers
    assert in_session(app, lambda s: s.exec(select(LabReportFile)).all()) == []
    data = {"csrf_token": form_csrf(supervisor, "/compliance/tests"), "report": upload()}
    accepted = supervisor.post(
        f"/compliance/tests/{here}/report", data=data, content_type="multipart/form-data"
    )
    assert accepted.status_code == 302


def upload() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "r.pdf"
