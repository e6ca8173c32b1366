"""The compliance pages' forms answer as the admin forms do: sent back with a field to
correct, the page is a 422; refused by the service, the refusal's own status; either way
nothing is stored. Before, the tests, records, case and reference pages answered 200 to
a form they had refused, so a script (or a test) could take a refusal for a success."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select
from werkzeug.test import TestResponse

from tests.traceability.compliance.conftest import add_test, in_session
from tests.traceability.signing_in import form_csrf
from traceability.models import Batch
from traceability.models.compliance import ComplianceCase, RapidTest, ReferenceSubstance


def _count(app: Flask, model: type) -> int:
    return in_session(app, lambda s: len(s.exec(select(model)).all()))


def _case(app: Flask, case_id: int) -> ComplianceCase:
    return in_session(
        app, lambda s: s.exec(select(ComplianceCase).where(ComplianceCase.id == case_id)).one()
    )


def _post_on_a_new_case(
    app: Flask, admin: FlaskClient, batch: Batch, **fields: str
) -> tuple[ComplianceCase, TestResponse]:
    """A failed test on `batch` opens a case; its page's form sent with `fields`."""
    add_test(app, batch, inhibition_rate="66")
    case = in_session(app, lambda s: s.exec(select(ComplianceCase)).one())
    path = f"/compliance/cases/{case.id}"
    return case, admin.post(path, data={"csrf_token": form_csrf(admin, path), **fields})


def test_a_test_form_with_an_unknown_method_is_a_422_and_stores_nothing(
    app: Flask, admin: FlaskClient
) -> None:
    data = {
        "csrf_token": form_csrf(admin, "/compliance/tests"),
        "method": "tasting",
        "product_name": "青菜",
        "operator": "快检员",
    }
    response = admin.post("/compliance/tests", data=data)
    assert response.status_code == 422
    assert "不是有效的选择" in response.get_data(as_text=True)  # beside the field
    assert _count(app, RapidTest) == 0


def test_a_test_the_service_refuses_answers_with_the_refusals_status(
    app: Flask, admin: FlaskClient
) -> None:
    data = {
        "csrf_token": form_csrf(admin, "/compliance/tests"),
        "method": "colloidal_gold",
        "product_name": "青菜",
        "operator": "快检员",
        "result": "pass",  # a gold strip without its target substance
    }
    response = admin.post("/compliance/tests", data=data)
    assert response.status_code == 422
    assert "请填写检测项目（目标物质）" in response.get_data(as_text=True)
    assert _count(app, RapidTest) == 0


def test_a_reference_entry_without_its_substance_is_a_422_and_adds_nothing(
    app: Flask, admin: FlaskClient
) -> None:
    before = _count(app, ReferenceSubstance)
    data = {
        "csrf_token": form_csrf(admin, "/compliance/reference"),
        "kind": "pesticide",
        "substance_zh": "",
        "scope": "all",
        "source": "农业农村部公告第736号",
        "verified": "check",
    }
    response = admin.post("/compliance/reference", data=data)
    assert response.status_code == 422
    assert "该字段是必填字段" in response.get_data(as_text=True)
    assert _count(app, ReferenceSubstance) == before


def test_a_disposal_left_empty_on_the_case_page_is_refused_with_its_status(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case, response = _post_on_a_new_case(app, admin, cucumbers, action="disposal", disposal="  ")
    assert response.status_code == 422
    assert "请填写处置措施" in response.get_data(as_text=True)
    assert _case(app, case.id or 0).disposal in (None, "")


def test_a_case_form_with_an_outcome_not_on_the_list_is_a_422(
    app: Flask, admin: FlaskClient, cucumbers: Batch
) -> None:
    case, response = _post_on_a_new_case(app, admin, cucumbers, action="close", outcome="forgiven")
    assert response.status_code == 422
    assert _case(app, case.id or 0).state == case.state
