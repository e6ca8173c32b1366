"""What every form page shares: its status, a refusal's text, field problems, record numbers.

Admin, compliance, sign-in and kiosk-setup pages all use these, so they live beside the
blueprints, not in one of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import NumberRange

from traceability.errors import DomainError
from traceability.registry.service import Problem
from traceability.whole_numbers import MAX_INTEGER_ID

RECORD_NUMBER = NumberRange(1, MAX_INTEGER_ID, message=_l("没有这个编号的记录。"))
"""A form field's record number (producer, batch, market…): a larger one names nothing and
fits no id column on PostgreSQL, so it is the field's own error on both databases."""


def form_status(form: FlaskForm, status: int = 200) -> int:
    """The status a form page answers with: a refusal's own `status`, else 422 while a field
    is to be corrected (nothing was stored), else 200.

    Scripts and tests tell "sent back to correct" from "shown" without parsing the page;
    every form page (admin, compliance, sign-in, kiosk setup) answers by this one rule.
    """
    return 422 if status == 200 and form.errors else status


def in_page_language(zh: str, en: str) -> str:
    """Of a text the domain wrote in both languages, the one the page is shown in."""
    return en if str(get_locale()) == "en" else zh


def error_text(exc: DomainError) -> str:
    """A refusal's message in the page's language."""
    return in_page_language(exc.message_zh, exc.message_en)


def show_beside_fields(form: FlaskForm, problems: Iterable[Problem]) -> None:
    """Each problem the registry found, beside the field it is about (the name when the
    form has no such field), so a clerk corrects the field instead of reading a list."""
    for problem in problems:
        target = getattr(form, problem.field, None) or form.name
        message = in_page_language(problem.message_zh, problem.message_en)
        target.errors = [*list(target.errors or []), message]
