"""What every form page answers with: one status rule and a refusal in the page's language."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired

from traceability.errors import DomainError
from traceability.web.forms import RECORD_NUMBER, error_text, form_status


class _Form(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(validators=[InputRequired()])
    record = IntegerField(validators=[RECORD_NUMBER])


def _checked(app: Flask, data: dict[str, str]) -> _Form:
    with app.test_request_context(method="POST", data=data):
        form = _Form()
        form.validate()
        return form


def test_a_form_shown_or_accepted_answers_200(app: Flask) -> None:
    assert form_status(_checked(app, {"name": "张三", "record": "7"})) == 200


def test_a_form_sent_back_with_a_field_to_correct_answers_422(app: Flask) -> None:
    form = _checked(app, {"name": "", "record": "7"})

    assert form_status(form) == 422
    assert "name" in form.errors


def test_a_record_number_past_the_id_columns_is_the_fields_own_error(app: Flask) -> None:
    form = _checked(app, {"name": "张三", "record": str(2**31)})

    assert form_status(form) == 422
    assert list(form.errors) == ["record"]


@pytest.mark.parametrize("status", [401, 403, 404, 409, 429])
def test_a_refusal_answers_its_own_status_with_or_without_field_errors(
    app: Flask, status: int
) -> None:
    assert form_status(_checked(app, {"name": "张三", "record": "7"}), status) == status
    assert form_status(_checked(app, {"name": ""}), status) == status


def test_a_refusal_is_told_in_the_pages_language(app: Flask) -> None:
    refusal = DomainError("批次已作废。", "The batch is revoked.")

    with app.test_request_context():
        assert error_text(refusal) == "批次已作废。"
        with force_locale("en"):
            assert error_text(refusal) == "The batch is revoked."
