"""What every view may assume of its input, checked once before any view runs.

- **No NUL characters.** PostgreSQL text cannot hold U+0000 and the driver fails the
  whole statement, so a NUL pasted into a search box, or sent by a scanner set to
  terminate with it, was a 500 on PostgreSQL and stored silently on SQLite. Query
  strings, form fields and JSON bodies are checked alike.
- **A JSON body is an object.** Every JSON endpoint takes one; Flask-WTF also reads a
  JSON body as form data, and a bare string or list there was a 500 on the sign-in form.
- **A record number in a path fits the database.** `<int:...>` matches 1 to 2**31 - 1
  only (`MAX_INTEGER_ID`: no route names an item code or a scan, the only bigint ids), so
  ``/compliance/cases/2147483648`` is a 404 like any case that does not exist, on both
  databases; PostgreSQL refused the number for its `integer` column (the out-of-range
  safety net's 422) and past 2**63 - 1 SQLite could not even bind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from traceability.errors import DomainError, ValidationFailed
from traceability.whole_numbers import MAX_INTEGER_ID

MESSAGE_ZH = "输入中含有空字符（NUL，\\0），常见于复制粘贴或扫码枪的结束符设置；请删除后重试。"
MESSAGE_EN = (
    "The input contains a NUL character (\\0), often from a copy-paste or a scanner's "
    "terminator setting; remove it and retry."
)


class NotAnObject(ValidationFailed):
    """422 `invalid_json`: a body that is not a JSON object, here and in the API's `json_body`."""

    code = "invalid_json"

    def __init__(self) -> None:
        super().__init__("请求体必须是 JSON 对象。", "The request body must be a JSON object.")


class NulCharacter(DomainError):
    status = 400
    code = "nul_character"

    def __init__(self) -> None:
        super().__init__(MESSAGE_ZH, MESSAGE_EN)


def carries_nul(value: Any) -> bool:
    """True when a string anywhere in `value` (nested lists and dicts, keys too) has U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(carries_nul(k) or carries_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(carries_nul(item) for item in value)
    return False


def _pairs(values: Any) -> Iterable[str]:
    for key, items in values.lists():
        yield key
        yield from (item for item in items if isinstance(item, str))


class RecordNumberConverter(IntegerConverter):
    """`<int:...>` for record numbers: 1 to `MAX_INTEGER_ID`, anything else no match."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_INTEGER_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    # before the blueprints add their rules: each rule binds its converter when added
    app.url_map.converters["int"] = RecordNumberConverter

    @app.before_request
    def _check_input() -> None:
        if carries_nul(list(_pairs(request.args))):
            raise NulCharacter()
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if carries_nul(list(_pairs(request.form))):
                raise NulCharacter()
        elif request.is_json and request.content_length != 0:
            body = request.get_json(silent=True)  # unreadable JSON: the view's own 400
            if body is not None and not isinstance(body, dict):
                raise NotAnObject()
            if carries_nul(body):
                raise NulCharacter()
