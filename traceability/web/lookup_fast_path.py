"""The QR code's URL for anonymous phones, answered without Flask's request cycle.

A consumer's scan is the service's hottest request, and once the certificate's facts
and page are kept (`traceability.lookup.snapshots`) most of its time went to Flask's
machinery around the answer: request and app contexts, URL matching, the session and
login cookies, CSRF and audit hooks, response objects. This WSGI middleware sits in
front of Flask and answers the plain case itself, through the same `answer_scan` the
Flask view uses, so the bytes are the same:

* ``GET /C/<code>`` or ``/c/<code>`` (the URL printed in our QR codes), no query string
  but ``format=json``, no cookie but ``lang``, and not asking for the code's linkset
  (``Accept: application/linkset+json``): an anonymous scan;
* the shared public rate limit is counted first; a client over it, and every other
  request, goes to Flask unchanged (Flask answers 429, the Digital Link URL,
  ``?lang=`` with its cookie, signed-in users, HEAD, errors);
* the answer carries the headers Flask's hooks would add (`SECURITY_HEADERS`,
  `LOOKUP_HEADERS`); a page not kept yet is rendered inside a Flask request context.

``LOOKUP_FAST_PATH=false`` sends every request through Flask. Tests check that both
paths answer alike (tests/traceability/web/test_lookup_fast_path.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, has_request_context, render_template
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_host

from traceability.db import get_engine
from traceability.errors import database_unreachable, json_preferred
from traceability.extensions import SECURITY_HEADERS
from traceability.i18n import language_for
from traceability.web.lookup_views import (
    LOOKUP_HEADERS,
    Answer,
    Scan,
    answer_scan,
    within_public_limit,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

_PREFIXES = ("/C/", "/c/")
_QUERIES = ("", "format=json")
_STATUS = {200: "200 OK", 400: "400 BAD REQUEST"}


class LookupFastPath:
    """WSGI middleware around `app.wsgi_app`; see the module docstring."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        scan = self._anonymous_scan(environ)
        if scan is None:
            return self.wsgi_app(environ, start_response)
        answer: Answer | None = None
        try:
            # over the limit: Flask answers (429 with Retry-After, in both languages)
            if within_public_limit(self.app, environ.get("REMOTE_ADDR")):
                answer = self._answer(scan, environ)
        except DBAPIError as exc:
            # Flask answers instead (a 503 for a database that is down, said once there)
            if not database_unreachable(exc):
                log.exception("lookup fast path failed; answering through Flask")
        except Exception:
            # Flask answers instead: its error handlers say what went wrong, in both
            # languages. (A failure after the scan was counted counts it twice: rare, harmless.)
            log.exception("lookup fast path failed; answering through Flask")
        if answer is None:
            return self.wsgi_app(environ, start_response)
        mimetype = answer.mimetype
        if mimetype.startswith("text/"):
            mimetype += "; charset=utf-8"
        headers = [
            ("Content-Type", mimetype),
            ("Content-Length", str(len(answer.body))),
            *LOOKUP_HEADERS.items(),
            *SECURITY_HEADERS.items(),
        ]
        start_response(_STATUS[answer.status], headers)
        return [answer.body]

    def _anonymous_scan(self, environ: WSGIEnvironment) -> Scan | None:
        """The scan this request is, if the fast path may answer it (else None)."""
        path: str = environ.get("PATH_INFO", "")
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or not path.startswith(_PREFIXES)
            or environ.get("QUERY_STRING", "") not in _QUERIES
            or not self.app.config["LOOKUP_FAST_PATH"]
            or "linkset" in environ.get("HTTP_ACCEPT", "")  # the code's links: Flask's view
        ):
            return None
        code = path[3:]
        if not code or "/" in code or not code.isascii():
            return None
        language = "zh_CN"
        cookie_header = environ.get("HTTP_COOKIE")
        if cookie_header:
            cookies = parse_cookie(cookie_header)
            if set(cookies) - {"lang"}:
                return None  # a session or remember-me cookie: Flask's hooks have work to do
            language = language_for(cookies.get("lang"))
        try:
            host = get_host(environ, self.app.config.get("TRUSTED_HOSTS"))
        except SecurityError:
            return None
        as_json = (
            json_preferred(path, environ.get("HTTP_ACCEPT", ""))
            or environ.get("QUERY_STRING") == "format=json"
        )
        return Scan(code, environ.get("REMOTE_ADDR"), host, as_json, language)

    def _answer(self, scan: Scan, environ: WSGIEnvironment) -> Answer:
        with ExitStack() as stack:
            on_demand = _SessionOnDemand(get_engine(self.app))
            stack.callback(on_demand.close)
            session = cast(Session, on_demand)

            def render(template: str, **context: Any) -> str:
                if not has_request_context():
                    stack.enter_context(self.app.request_context(environ))
                return render_template(template, **context)

            return answer_scan(self.app, scan, session, record_scan=True, render=render)


class _SessionOnDemand:
    """A Session opened at its first use, for `answer_scan`.

    Most scans never use one: the keys, the certificate's facts and the response key are
    kept per worker, and the code's row is read by `ItemReader`. Opening and closing a
    Session anyway cost ~20 µs a scan, a tenth of a kept JSON answer's own time.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._session: Session | None = None

    def __getattr__(self, name: str) -> Any:
        if self._session is None:
            self._session = Session(self._engine, expire_on_commit=False)
        return getattr(self._session, name)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def init_app(app: Flask) -> None:
    app.wsgi_app = LookupFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
