"""Domain errors a person can act on, and their mapping to HTTP answers.

Domain code raises `DomainError` subclasses carrying a stable code and a message in
Chinese and English; the web layer turns them into 4xx JSON or an error page.
Nothing reaches the user as a bare 500.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any, Literal

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header

from traceability.file_sizes import file_size

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A refusal with a reason; `status` is the HTTP status the web layer uses."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error": self.code,
            "message": self.message_zh,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("请求无法处理，请检查输入。", "The request could not be processed; check the input."),
    401: ("请先登录或提供有效的令牌。", "Sign in or provide a valid token."),
    403: ("您无权进行此操作。", "You are not allowed to do this."),
    404: ("找不到该页面或记录。", "The page or record was not found."),
    405: ("不支持该请求方法。", "This request method is not supported here."),
    413: ("上传内容过大。", "The upload is too large."),
    415: ("不支持该内容类型。", "This content type is not supported."),
    429: ("请求过于频繁，请稍后再试。", "Too many requests; please try again shortly."),
}


# PostgreSQL SQLSTATEs of a write that lost a race: a unique key taken meanwhile, and
# transactions the server aborted to let another finish (serialization, deadlock, lock wait)
_TAKEN_STATES = {"23505"}
_RETRY_STATES = {"40001", "40P01", "55P03"}

CLASH_ANSWERS: dict[str, tuple[int, str, str, str]] = {
    "taken": (
        409,
        "concurrent_change",
        "同一时间有人保存了相同的内容，本次未保存。请刷新后重试。",
        "Someone saved the same thing at the same moment, so nothing was saved; reload and retry.",
    ),
    "retry": (
        503,
        "busy",
        "系统正忙，本次未保存，请稍后重试。",
        "The service was busy and saved nothing; please try again in a moment.",
    ),
}


# SQLSTATE of a server that cannot be used right now: connection exceptions (class 08),
# an administrator's or crash shutdown, a server still starting (57P01-57P03)
_OUTAGE_STATES = {"57P01", "57P02", "57P03"}
# (not "nothing was saved": a connection lost during COMMIT leaves that unknown; the
# writes people retry carry idempotency keys or UUIDs, so a retry never doubles them)
OUTAGE_ANSWER = (
    503,
    "database_unavailable",
    "数据库暂时无法连接，请稍后重试。",
    "The database cannot be reached right now; please try again shortly.",
)
# a number past what the database stores (SQLite's 64 bits, PostgreSQL's `integer`): a
# record number changed in a URL's query or a form, or typed with too many digits
OUT_OF_RANGE_ANSWER = (
    422,
    "number_out_of_range",
    "输入的编号或数字过大，没有这样的记录。请核对后重试。",
    "A number you entered is too large: there is no such record. Check it and retry.",
)
# the same for a request that only reads (a shopper's scan)
OUTAGE_READ_ANSWER = (
    503,
    "database_unavailable",
    "系统暂时无法查询，请稍后再试。",
    "The service cannot look this up right now; please try again shortly.",
)


def database_unreachable(exc: DBAPIError) -> bool:
    """Whether the database could not be used at all (down, restarting, refused the login).

    A transaction is never half written: a 503 with Retry-After tells a phone, a kiosk or
    a scanner to try again, where a 500 would say the service is broken. SQLite's "unable
    to open" is the embedded case.
    """
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        return "unable to open database file" in str(orig)
    if type(orig).__name__ != "OperationalError":  # psycopg's, by name: no import here
        return False
    state = getattr(orig, "sqlstate", None)
    # no SQLSTATE: the connection itself failed (refused, timed out, authentication)
    return state is None or state.startswith("08") or state in _OUTAGE_STATES


def number_out_of_range(exc: DBAPIError) -> bool:
    """Whether PostgreSQL refused a number for its column's type (SQLSTATE 22003).

    SQLite raises `OverflowError` before the statement runs instead; both mean the input
    named a record that cannot exist, not that the service is broken.
    """
    return getattr(exc.orig, "sqlstate", None) == "22003"


def write_clash(exc: DBAPIError) -> Literal["taken", "retry"] | None:
    """Whether a database error is a race with another writer, not a fault of ours.

    A check-then-insert (a username, a number) can lose to a writer that committed between
    the check and the insert; PostgreSQL may abort a transaction to break a deadlock or a
    serialization conflict; SQLite gives up on a lock after its busy timeout. The request's
    transaction is rolled back in each case, so the caller can be told so and retry.
    """
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state in _TAKEN_STATES:
        return "taken"
    if state in _RETRY_STATES:
        return "retry"
    if isinstance(orig, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(orig):
        return "taken"
    if isinstance(orig, sqlite3.OperationalError) and "database is locked" in str(orig):
        return "retry"
    return None


def wants_json() -> bool:
    return json_preferred(request.path, request.headers.get("Accept", ""))


def json_preferred(path: str, accept: str) -> bool:
    """JSON for the API, or when the Accept header ranks it above HTML (Flask-free: the
    public lookup's fast path asks too)."""
    if path.startswith("/api/") or path.startswith("/.well-known/"):
        return True
    # the two headers nearly every request sends, without parsing (public lookups)
    if accept == "application/json":
        return True
    if accept.split(",", 1)[0].strip() == "text/html":  # HTML at full quality: never JSON
        return False
    accepted = parse_accept_header(accept, MIMEAccept)
    best = accepted.best_match(["application/json", "text/html"])
    return best == "application/json" and accepted[best] > accepted["text/html"]


def back_link(status: int) -> str | None:
    """Where a person refused for what they typed goes to correct it: the page they came
    from (on this site), else the form itself. A 403, a 404 or an outage has none: going
    back would not change the answer."""
    if status not in (400, 409, 413, 422):
        return None
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url) and referrer != request.url:
        return referrer
    if request.method != "GET" or request.query_string:
        return request.path
    return None


def _answer(status: int, body: dict[str, Any]) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(body), status
    try:
        page = render_template("error.html", status=status, error=body, back=back_link(status))
        return page, status
    except Exception:  # an error page must never fail itself
        log.exception("error page failed to render")
        return f"{body['message_zh']} / {body['message_en']}", status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError) -> tuple[Response | str, int]:
        return _answer(exc.status, exc.to_dict())

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        zh, en = HTTP_MESSAGES.get(status, (exc.name, exc.name))
        if exc.description and status == 400 and "CSRF" in exc.description:
            zh, en = (
                "表单已过期或缺少安全令牌，请刷新页面后重试。",
                "The form expired or lacks its security token; reload and retry.",
            )
        if status == 413 and app.config.get("MAX_CONTENT_LENGTH"):
            limit = file_size(int(app.config["MAX_CONTENT_LENGTH"]))
            zh, en = (
                f"上传内容过大（一次最多 {limit}），请压缩文件或降低照片分辨率后重试。",
                f"The upload is too large (at most {limit} at once); compress the file or "
                "lower the photo's resolution and retry.",
            )
        body = {
            "error": exc.name.lower().replace(" ", "_"),
            "message": zh,
            "message_zh": zh,
            "message_en": en,
        }
        response = app.make_response(_answer(status, body))
        for name, value in exc.get_headers():  # Retry-After of a 429, Allow of a 405
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> Response | tuple[Response | str, int]:
        if database_unreachable(exc):
            log.error("database unavailable on %s %s: %s", request.method, request.path, exc.orig)
            reads = request.method in ("GET", "HEAD", "OPTIONS")
            status, code, zh, en = OUTAGE_READ_ANSWER if reads else OUTAGE_ANSWER
            retry_after = "5"
        elif number_out_of_range(exc):
            return _out_of_range(exc)
        else:
            clash = write_clash(exc)
            if clash is None:
                return _unexpected(exc)
            log.warning("%s on %s %s: %s", clash, request.method, request.path, exc.orig)
            status, code, zh, en = CLASH_ANSWERS[clash]
            retry_after = "1"
        body = {"error": code, "message": zh, "message_zh": zh, "message_en": en}
        response = app.make_response(_answer(status, body))
        if status == 503:
            response.headers["Retry-After"] = retry_after
        return response

    @app.errorhandler(OverflowError)
    def _out_of_range(exc: Exception) -> tuple[Response | str, int]:
        # a safety net behind the parsers that name the field: the request's transaction
        # is rolled back with its session, so nothing is half written
        log.warning("number out of range on %s %s: %s", request.method, request.path, exc)
        status, code, zh, en = OUT_OF_RANGE_ANSWER
        return _answer(status, {"error": code, "message": zh, "message_zh": zh, "message_en": en})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response | str, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        zh, en = (
            "服务暂时出错，请稍后再试。",
            "The service hit an internal error; please try again.",
        )
        return _answer(
            500, {"error": "internal", "message": zh, "message_zh": zh, "message_en": en}
        )
