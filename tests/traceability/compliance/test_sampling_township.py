"""Where a sample was taken (抽样地点所在乡镇): a test may name the township, by its id or its
9-digit division code, and an unknown seller's test and case then belong to that township's
supervisors. A value that is not a current township is a 422 naming the field; a supervisor
records only in its own townships; beside a producer the township widens nothing."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests.traceability.compliance.conftest import count, in_session
from tests.traceability.signing_in import form_csrf, sign_in
from traceability.auth.tokens import create_token
from traceability.compliance.testing import import_csv, record_test
from traceability.errors import ValidationFailed
from traceability.models import Batch, Region, RegionLevel
from traceability.models.compliance import ComplianceCase, RapidTest

CHENGGUAN, QINGHE = "379901001", "379901101"  # two townships of the demo county


def _township(app: Flask, code: str) -> int:
    def find(session: Session) -> int:
        found = session.exec(
            select(Region.id).where(Region.code == code, Region.level == RegionLevel.TOWNSHIP)
        ).one()
        assert found is not None
        return found

    return int(in_session(app, find))


def _unknown_seller(township: Any = None, **values: Any) -> dict[str, Any]:
    """A failed enzyme test of a market stall's 小白菜, whose seller nobody registered."""
    entry = {
        "method": "enzyme_inhibition",
        "product_name": "小白菜",
        "place": "农贸市场 12 号摊",
        "inhibition_rate": "71",
        "operator": "快检员",
        **values,
    }
    if township is not None:
        entry["township"] = township
    return entry


def _record(app: Flask, values: dict[str, Any]) -> RapidTest:
    test: RapidTest = in_session(app, lambda s: record_test(s, values, recorded_by="test"))
    return test


def _case_of(app: Flask, test_id: int | None) -> int:
    def find(session: Session) -> int:
        case_id = session.exec(
            select(ComplianceCase.id).where(ComplianceCase.test_id == test_id)
        ).one()
        assert case_id is not None
        return case_id

    return int(in_session(app, find))


def _token(app: Flask, role: str, townships: tuple[int, ...] = ()) -> dict[str, str]:
    def make(session: Session) -> str:
        return create_token(session, name="t", role=role, township_ids=townships)[1]

    return {"Authorization": f"Bearer {in_session(app, make)}"}


def _supervisor(app: Flask, name: str, *townships: int) -> FlaskClient:
    return sign_in(
        app, app.test_client(), name, role="township_supervisor", township_ids=list(townships)
    )


# --- The domain rule ---------------------------------------------------------------------


def test_a_township_is_named_by_its_id_or_its_9_digit_code(
    app: Flask, demo: dict[str, Any]
) -> None:
    chengguan = _township(app, CHENGGUAN)
    by_code = _record(app, _unknown_seller(CHENGGUAN, sample_no="S-1"))
    by_id = _record(app, _unknown_seller(chengguan, sample_no="S-2"))
    by_text_id = _record(app, _unknown_seller(str(chengguan), sample_no="S-3"))
    none_given = _record(app, _unknown_seller(sample_no="S-4"))
    assert [by_code.township_id, by_id.township_id, by_text_id.township_id] == [chengguan] * 3
    assert none_given.township_id is None


def _retired_township(session: Session) -> int:
    old = Region(code="379901301", name="旧河乡", level=RegionLevel.TOWNSHIP, retired=True)
    session.add(old)
    session.flush()
    assert old.id is not None
    return old.id


def _region_id(level: str) -> Any:
    def find(session: Session) -> int | None:
        return session.exec(select(Region.id).where(Region.level == level)).first()

    return find


@pytest.mark.parametrize(
    "given",
    ["village code", "village id", "county id", "retired", "999999999", "城关街道", "-3", True],
)
def test_anything_but_a_current_township_is_refused_naming_the_field(
    app: Flask, demo: dict[str, Any], given: Any
) -> None:
    value = {
        "village code": "379901001201",
        "village id": in_session(app, _region_id("village")),
        "county id": in_session(app, _region_id("county")),
        "retired": "379901301",
    }.get(given, given)
    if given == "retired":
        in_session(app, _retired_township)
    with pytest.raises(ValidationFailed) as refused:
        _record(app, _unknown_seller(value))
    assert refused.value.details == {"field": "township"}
    assert "抽样地点所在乡镇（township）" in refused.value.message_zh
    assert "township (where the sample was taken)" in refused.value.message_en
    assert count(app, RapidTest) == 0 and count(app, ComplianceCase) == 0


def test_a_re_test_keeps_the_township_of_the_failed_sample(
    app: Flask, demo: dict[str, Any]
) -> None:
    failed = _record(app, _unknown_seller(CHENGGUAN))
    retest = _record(
        app,
        {
            "retest_of_case": _case_of(app, failed.id),
            "method": "lab_report",
            "lab_name": "县检测站",
            "report_no": "R-1",
            "result": "pass",
            "operator": "检测员",
        },
    )
    assert retest.township_id == failed.township_id == _township(app, CHENGGUAN)


# --- The API and the CSV import ----------------------------------------------------------


def test_the_api_takes_the_township_and_gives_it_back(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    county = _token(app, "county_admin")
    created = client.post("/api/v1/tests", json=_unknown_seller(CHENGGUAN), headers=county)
    assert created.status_code == 201
    test = created.get_json()["test"]
    assert test["township_id"] == _township(app, CHENGGUAN)
    again = client.get(f"/api/v1/tests/{test['id']}", headers=county).get_json()["test"]
    assert again["township_id"] == test["township_id"]


def test_the_api_refuses_a_wrong_township_with_a_422_naming_it_and_writes_nothing(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    body = _unknown_seller("379901999")  # a township code nobody imported
    response = client.post("/api/v1/tests", json=body, headers=_token(app, "county_admin"))
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "invalid_field" and answer["details"] == {"field": "township"}
    assert "379901999" in answer["message_zh"] and "379901999" in answer["message_en"]
    assert count(app, RapidTest) == 0 and count(app, ComplianceCase) == 0


def test_a_supervisor_records_an_unknown_sellers_test_only_in_its_own_townships(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    mine = _token(app, "township_supervisor", (_township(app, CHENGGUAN),))
    elsewhere = client.post("/api/v1/tests", json=_unknown_seller(QINGHE), headers=mine)
    assert elsewhere.status_code == 403
    nowhere = client.post("/api/v1/tests", json=_unknown_seller(), headers=mine)
    assert nowhere.status_code == 422
    assert nowhere.get_json()["error"] == "township_required"
    assert nowhere.get_json()["details"] == {"field": "township"}
    assert count(app, RapidTest) == 0
    assert (
        client.post("/api/v1/tests", json=_unknown_seller(CHENGGUAN), headers=mine).status_code
        == 201
    )


def test_a_supervisor_may_not_name_another_township_beside_its_own_producer(
    app: Flask, client: FlaskClient, cucumbers: Batch
) -> None:
    mine = _token(app, "township_supervisor", (_township(app, CHENGGUAN),))  # 青禾绿源 is here
    body = {"batch_id": cucumbers.id, "method": "enzyme_inhibition", "inhibition_rate": "12",
            "operator": "快检员"}  # fmt: skip
    refused = client.post("/api/v1/tests", json=body | {"township": QINGHE}, headers=mine)
    assert refused.status_code == 403 and count(app, RapidTest) == 0
    accepted = client.post("/api/v1/tests", json=body | {"township": CHENGGUAN}, headers=mine)
    assert accepted.status_code == 201


def test_the_csv_import_reads_the_township_column_in_chinese(
    app: Flask, demo: dict[str, Any]
) -> None:
    text = (
        "检测方法,样品名称,抑制率,检测人,抽样地点所在乡镇\n"
        f"enzyme_inhibition,小白菜,12,快检员,{CHENGGUAN}\n"
        "enzyme_inhibition,菠菜,14,快检员,\n"
    )
    report = in_session(app, lambda s: import_csv(s, text, recorded_by="lab"))
    assert report.errors == []
    stored = in_session(app, lambda s: s.exec(select(RapidTest).order_by(col(RapidTest.id))).all())
    assert [t.township_id for t in stored] == [_township(app, CHENGGUAN), None]


def test_a_csv_row_with_a_wrong_township_refuses_the_file_naming_its_line(
    app: Flask, demo: dict[str, Any]
) -> None:
    text = (
        "method,product_name,inhibition_rate,operator,township\n"
        f"enzyme_inhibition,小白菜,12,快检员,{CHENGGUAN}\n"
        "enzyme_inhibition,菠菜,14,快检员,清河\n"
    )
    report = in_session(app, lambda s: import_csv(s, text, recorded_by="lab"))
    assert [line for line, _message in report.errors] == [3]
    assert "抽样地点所在乡镇（township）“清河”" in report.errors[0][1]
    assert count(app, RapidTest) == 0


# --- The entry form -----------------------------------------------------------------------


def _selected(page: str) -> list[str]:
    """The values chosen in the form's township dropdown."""
    found = re.search(r'<select[^>]*name="township".*?</select>', page, re.S)
    assert found, "the form has the township dropdown"
    return re.findall(r'<option selected value="([^"]*)"', found.group(0))


def test_a_supervisor_of_one_township_finds_it_chosen(app: Flask, demo: dict[str, Any]) -> None:
    chengguan, qinghe = _township(app, CHENGGUAN), _township(app, QINGHE)
    one = _supervisor(app, "sup-one", chengguan)
    assert _selected(one.get("/compliance/tests").get_data(as_text=True)) == [str(chengguan)]
    two = _supervisor(app, "sup-two", chengguan, qinghe)
    page = two.get("/compliance/tests").get_data(as_text=True)
    assert _selected(page) == [""]  # it has to choose
    assert f'value="{_township(app, "379901201")}"' not in page  # 石门乡 is not its own


def test_the_unknown_sellers_test_saved_from_the_chosen_township_reaches_its_case_list(
    app: Flask, demo: dict[str, Any]
) -> None:
    chengguan = _township(app, CHENGGUAN)
    one = _supervisor(app, "sup-one", chengguan)
    data = {"csrf_token": form_csrf(one, "/compliance/tests"), "township": str(chengguan)}
    saved = one.post("/compliance/tests", data=data | _unknown_seller(), follow_redirects=True)
    assert saved.status_code == 200
    case_id = in_session(app, lambda s: s.exec(select(ComplianceCase.id)).one())
    assert f'href="/compliance/cases/{case_id}"' in one.get("/compliance/cases").get_data(
        as_text=True
    )


def test_the_form_shows_a_refused_township_beside_its_field(
    app: Flask, admin: FlaskClient, demo: dict[str, Any]
) -> None:
    data = {"csrf_token": form_csrf(admin, "/compliance/tests"), "township": "999999"}
    response = admin.post("/compliance/tests", data=data | _unknown_seller())
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    field = re.search(
        r'<label class="field invalid">\s*<span>抽样地点所在乡镇</span>.*?</label>', page, re.S
    )
    assert field, "the township field is marked invalid"
    assert "抽样地点所在乡镇（township）“999999”不是本县的乡镇" in field.group(0)
    assert count(app, RapidTest) == 0


def test_the_form_reads_in_english(app: Flask, admin: FlaskClient, demo: dict[str, Any]) -> None:
    page = admin.get("/compliance/tests?lang=en").get_data(as_text=True)
    assert "Township where the sample was taken" in page and "Not given" in page


# --- Scoping ------------------------------------------------------------------------------


@pytest.fixture
def two_cases(app: Flask, demo: dict[str, Any]) -> dict[str, int]:
    """An unknown seller's failed test sampled in 城关街道 and one sampled in 清河镇."""
    here = _record(app, _unknown_seller(CHENGGUAN, sample_no="CG-1"))
    there = _record(app, _unknown_seller(QINGHE, sample_no="QH-1"))
    return {
        "here_test": here.id or 0,
        "there_test": there.id or 0,
        "here": _case_of(app, here.id),
        "there": _case_of(app, there.id),
    }


def _listed_cases(client: FlaskClient) -> set[int]:
    page = client.get("/compliance/cases").get_data(as_text=True)
    return {int(n) for n in re.findall(r'href="/compliance/cases/(\d+)"', page)}


def _listed_tests(client: FlaskClient) -> set[int]:
    page = client.get("/compliance/tests").get_data(as_text=True)
    return {int(n) for n in re.findall(r'id="test-(\d+)"', page)}


def test_a_supervisor_sees_the_unknown_sellers_case_sampled_in_its_township_only(
    app: Flask, two_cases: dict[str, int]
) -> None:
    supervisor = _supervisor(app, "sup-cg", _township(app, CHENGGUAN))
    assert _listed_cases(supervisor) == {two_cases["here"]}
    assert _listed_tests(supervisor) == {two_cases["here_test"]}
    assert supervisor.get(f"/compliance/cases/{two_cases['here']}").status_code == 200
    refused = supervisor.get(f"/compliance/cases/{two_cases['there']}")
    assert refused.status_code == 403


def test_the_county_admin_sees_both(admin: FlaskClient, two_cases: dict[str, int]) -> None:
    assert _listed_cases(admin) == {two_cases["here"], two_cases["there"]}
    assert _listed_tests(admin) >= {two_cases["here_test"], two_cases["there_test"]}


def test_the_tests_list_says_where_each_sample_was_taken(
    admin: FlaskClient, two_cases: dict[str, int]
) -> None:
    """Township and place in their own column: for an unknown seller's sample, all there is
    to go back to."""
    page = admin.get("/compliance/tests").get_data(as_text=True)
    cells = dict(
        (int(n), html.unescape(cell))
        for n, cell in re.findall(
            r'id="test-(\d+)">.*?<td class="sampled-at">(.*?)</td>', page, flags=re.S
        )
    )
    assert cells[two_cases["here_test"]] == "城关街道<br>农贸市场 12 号摊"
    assert cells[two_cases["there_test"]].startswith("清河镇<br>")
    assert "<th>抽样地点</th>" in page
    english = admin.get("/compliance/tests?lang=en").get_data(as_text=True)
    assert "<th>Sampling place</th>" in english


def test_the_api_reads_follow_the_sampling_township(
    app: Flask, client: FlaskClient, two_cases: dict[str, int]
) -> None:
    mine = _token(app, "township_supervisor", (_township(app, CHENGGUAN),))
    listed = client.get("/api/v1/cases", headers=mine).get_json()["cases"]
    assert [c["id"] for c in listed] == [two_cases["here"]]
    assert client.get(f"/api/v1/cases/{two_cases['here']}", headers=mine).status_code == 200
    assert client.get(f"/api/v1/cases/{two_cases['there']}", headers=mine).status_code == 403
    assert client.get(f"/api/v1/tests/{two_cases['here_test']}", headers=mine).status_code == 200
    assert client.get(f"/api/v1/tests/{two_cases['there_test']}", headers=mine).status_code == 403
    step = client.post(
        f"/api/v1/cases/{two_cases['there']}/disposal", json={"disposal": "销毁"}, headers=mine
    )
    assert step.status_code == 403
    county = _token(app, "county_admin")
    assert len(client.get("/api/v1/cases", headers=county).get_json()["cases"]) == 2


def test_an_unknown_sellers_case_without_a_township_stays_with_the_county(
    app: Flask, admin: FlaskClient, demo: dict[str, Any]
) -> None:
    nowhere = _case_of(app, _record(app, _unknown_seller()).id)
    supervisor = _supervisor(app, "sup-cg", _township(app, CHENGGUAN))
    assert _listed_cases(supervisor) == set()
    assert supervisor.get(f"/compliance/cases/{nowhere}").status_code == 403
    assert _listed_cases(admin) == {nowhere}


def test_a_township_beside_a_producer_shows_that_townships_supervisor_nothing(
    app: Flask, cucumbers: Batch
) -> None:
    """青禾绿源 is in 城关街道; its sample taken at a 清河镇 market stays 城关街道's record."""
    test = _record(
        app,
        {"batch_id": cucumbers.id, "method": "enzyme_inhibition", "inhibition_rate": "72",
         "operator": "快检员", "township": QINGHE},
    )  # fmt: skip
    assert test.township_id == _township(app, QINGHE)
    qinghe = _supervisor(app, "sup-qh", _township(app, QINGHE))
    assert _listed_cases(qinghe) == set() and _listed_tests(qinghe) == set()
    assert qinghe.get(f"/compliance/cases/{_case_of(app, test.id)}").status_code == 403
    chengguan = _supervisor(app, "sup-cg", _township(app, CHENGGUAN))
    assert _listed_cases(chengguan) == {_case_of(app, test.id)}


def test_the_case_page_names_the_township_where_the_sample_was_taken(
    admin: FlaskClient, two_cases: dict[str, int]
) -> None:
    page = html.unescape(admin.get(f"/compliance/cases/{two_cases['here']}").get_data(as_text=True))
    assert "抽样地点所在乡镇：城关街道" in page


def test_the_supervisor_of_the_sampling_township_enters_the_re_test(
    app: Flask, two_cases: dict[str, int]
) -> None:
    supervisor = _supervisor(app, "sup-cg", _township(app, CHENGGUAN))
    here = supervisor.get(f"/compliance/tests?retest_of_case={two_cases['here']}")
    assert here.status_code == 200
    there = supervisor.get(f"/compliance/tests?retest_of_case={two_cases['there']}")
    assert there.status_code == 403
