"""Public pages: the QR code URL (HTML for phones, JSON for machines) and published keys."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask_babel import get_locale
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from markupsafe import Markup
from sqlmodel import Session
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as BaseResponse

from traceability import keystore
from traceability.beijing_time import format_beijing
from traceability.codes import sign_canonical
from traceability.codes.errors import ScanError
from traceability.codes.scanning import parse_scanned_text
from traceability.codes.urls import DIGSIG_AI
from traceability.db import get_engine, get_session
from traceability.errors import ValidationFailed, wants_json
from traceability.extensions import limiter
from traceability.issuing.revocation import published_revocation_jws
from traceability.lookup.linkset import (
    LINK_HEADER,
    LINKSET_LINK_TYPES,
    LINKSET_TYPE,
    PREFLIGHT_HEADERS,
    CodeLinks,
    linkset_header,
    resolver_description,
)
from traceability.lookup.scans import scan_buffer
from traceability.lookup.service import ItemReader, LookupResult, coarse_place, lookup
from traceability.lookup.snapshots import MAX_PAGES_PER_CERTIFICATE, facts_cache

bp = Blueprint("lookup", __name__)
log = logging.getLogger(__name__)

Render = Callable[..., str]
"""`render_template`, inside a request context: for a page not kept yet (a certificate's
first scan in this worker) and for verdicts without a certificate (malformed, forged)."""


@dataclass(frozen=True)
class Scan:
    """What the answer to scanned text depends on, read from Flask's request or straight
    from the WSGI environ (`traceability.web.lookup_fast_path`)."""

    text: str
    remote_addr: str | None
    host: str | None
    as_json: bool
    language: str


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    mimetype: str


def public_limit() -> str:
    return str(current_app.config["RATELIMIT_PUBLIC"])


def accepted_hosts() -> set[str]:
    """Hosts a scanned URL may name: the public base URL's and the one this request came to."""
    return _hosts(current_app, request.host)


def _hosts(app: Flask, host: str | None) -> set[str]:
    hosts = {_netloc(app.config["PUBLIC_BASE_URL"])}
    if host:
        hosts.add(host.lower())
    return hosts


@lru_cache(maxsize=8)
def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


@lru_cache(maxsize=8)
def _limits(text: str) -> list[RateLimitItem]:
    return parse_many(text)


def within_public_limit(app: Flask, remote_addr: str | None) -> bool:
    """Count one public lookup for this client; False once it is over `RATELIMIT_PUBLIC`.

    One bucket per address for both lookup URLs, whichever path answers (the fast path
    and Flask share it through Flask-Limiter's own strategy and storage).
    """
    if not app.config["RATELIMIT_ENABLED"]:
        return True
    items, bucket = _public_limits(app, remote_addr)
    return _counted(app, lambda counter: all(counter.hit(item, *bucket) for item in items))


def _retry_after(app: Flask, remote_addr: str | None) -> int:
    items, bucket = _public_limits(app, remote_addr)
    now = time.time()
    resets = _counted(
        app,
        lambda counter: [counter.get_window_stats(item, *bucket).reset_time for item in items],
    )
    return max(1, math.ceil(max(resets, default=now + 1) - now))


_T = TypeVar("_T")
_RETRY_STORAGE_SECONDS = 5.0
_WARN_EVERY_SECONDS = 60.0


def _counted(app: Flask, use: Callable[[RateLimiter], _T]) -> _T:
    """`use` on Flask-Limiter's limiter, or on this worker's memory while a shared storage
    (Redis) is unreachable.

    As Flask-Limiter's in-memory fallback does for the decorated routes: a scan is
    answered, never refused with a 500 because of a limiter outage. After a failure the
    storage is left alone for `_RETRY_STORAGE_SECONDS`, so a dead Redis host costs one
    scan per worker its connect timeout, not every scan.
    """
    if time.monotonic() < app.extensions.get("ratelimit_retry_at", 0.0):
        return use(_fallback_limiter(app))
    try:
        return use(limiter.limiter)
    except Exception:
        _storage_unreachable(app)
        return use(_fallback_limiter(app))


def _storage_unreachable(app: Flask) -> None:
    """Skip the storage for a while; say so in the log once a minute per worker."""
    now = time.monotonic()
    app.extensions["ratelimit_retry_at"] = now + _RETRY_STORAGE_SECONDS
    if now - app.extensions.get("ratelimit_warned_at", -_WARN_EVERY_SECONDS) >= _WARN_EVERY_SECONDS:
        app.extensions["ratelimit_warned_at"] = now
        log.warning(
            "rate limit storage %s unreachable: counting public lookups per worker meanwhile",
            app.config["RATELIMIT_STORAGE_URI"].split("@")[-1],  # no password in the log
            exc_info=True,
        )


def _fallback_limiter(app: Flask) -> RateLimiter:
    fallback: RateLimiter | None = app.extensions.get("ratelimit_fallback")
    if fallback is None:
        fallback = FixedWindowRateLimiter(MemoryStorage())
        app.extensions["ratelimit_fallback"] = fallback
    return fallback


def _public_limits(app: Flask, remote_addr: str | None) -> tuple[list[RateLimitItem], list[str]]:
    """The configured limits, and this client's bucket in the limiter's storage."""
    client = remote_addr or "127.0.0.1"  # as flask_limiter.util.get_remote_address
    return _limits(str(app.config["RATELIMIT_PUBLIC"])), ["public-lookup", client]


def _database(app: Flask) -> str:
    """The engine's URL without password: names the database in per-process caches."""
    name: str | None = app.extensions.get("db_name")
    if name is None:
        name = get_engine(app).url.render_as_string(hide_password=True)
        app.extensions["db_name"] = name
    return name


def _item_reader(app: Flask) -> ItemReader:
    reader: ItemReader | None = app.extensions.get("lookup_item_reader")
    if reader is None:
        reader = ItemReader(get_engine(app))
        app.extensions["lookup_item_reader"] = reader
    return reader


def answer_scan(
    app: Flask, scan: Scan, session: Session, *, record_scan: bool, render: Render
) -> Answer:
    """The verdict on scanned text as signed JSON or as the page; no Flask request needed.

    Both the Flask views below and the fast path answer through here, so they answer
    with the same bytes.
    """
    config = app.config
    result = lookup(
        session,
        scan.text,
        database=_database(app),
        accepted_hosts=_hosts(app, scan.host),
        place=coarse_place(scan.remote_addr, config["SECRET_KEY"]),
        record_scan=record_scan,
        scans=scan_buffer(app),
        facts=facts_cache(app) if record_scan else None,
        reader=_item_reader(app) if record_scan else None,
    )
    status = 400 if result.status == "malformed" else 200
    if not scan.as_json:
        return Answer(status, _page(result, scan.language, render).encode(), "text/html")
    key = keystore.response_signing_key(session, config["SIGNING_KEY_PASSPHRASE"], _database(app))
    payload = result.to_canonical_json()
    jws = sign_canonical(payload, key)
    # the signed payload plus its own signature: one serialisation, not three (a compact
    # JWS is base64url and dots, which JSON strings hold as they are)
    body = b"".join((payload[:-1], b',"jws":"', jws.encode("ascii"), b'"}'))
    return Answer(status, body, "application/json")


def lookup_answer(text: str, *, record_scan: bool, as_json: bool = True) -> tuple[Response, int]:
    """`answer_scan` for the current Flask request (the views here and the verify API)."""
    scan = Scan(text, request.remote_addr, request.host, as_json, str(get_locale()))
    answer = answer_scan(
        current_app, scan, get_session(), record_scan=record_scan, render=render_template
    )
    response = Response(answer.body, status=answer.status, mimetype=answer.mimetype)
    response.headers["Cache-Control"] = "no-store"
    return response, answer.status


_SEQ = "<!--lookup:item-seq-->"
_SCANS = "<!--lookup:scans-->"
_COUNT = "<!--lookup:scan-count-->"
_FIRST = "<!--lookup:first-scan-->"


@dataclass(frozen=True)
class KeptPage:
    """A certificate's page in one language and verdict, with markers for the code's part.

    Only the code's number and its scans change from one code (and scan) to the next.
    The scans section has four shapes (first scan time shown or not, copy warning or
    not), each rendered the first time it is needed, with markers for the count and the
    time. Escaped user text cannot contain a marker (`<` becomes `&lt;`); the scans
    section holds no user text.
    """

    page: str
    scans: dict[tuple[bool, bool], str] = field(default_factory=dict)

    def fill(self, result: LookupResult, render: Render) -> str:
        assert result.item is not None
        first = result.first_scan_at
        shape = (first is not None, result.suspicious_scans)
        scans = self.scans.get(shape)
        if scans is None:
            scans = self.scans[shape] = render(
                "_lookup_scans.html",
                scan_count=Markup(_COUNT),
                first_scan=Markup(_FIRST) if first is not None else None,
                suspicious=shape[1],
            )
        scans = scans.replace(_COUNT, str(result.scan_count), 1)
        if first is not None:
            scans = scans.replace(_FIRST, format_beijing(first), 1)
        return self.page.replace(_SEQ, str(result.item.seq), 1).replace(_SCANS, scans, 1)


def _page(result: LookupResult, language: str, render: Render) -> str:
    """The lookup page; per certificate it is rendered once per language and verdict."""
    facts = result.facts
    if facts is None or result.item is None:
        return render("lookup.html", result=result)
    key = (language, result.status, result.reason or "", result.at or "")
    kept: KeptPage | None = facts.pages.get(key)
    if kept is None:
        kept = KeptPage(
            render("lookup.html", result=result, item_seq=Markup(_SEQ), scans_html=Markup(_SCANS))
        )
        if len(facts.pages) < MAX_PAGES_PER_CERTIFICATE:
            facts.pages[key] = kept
    return kept.fill(result, render)


LOOKUP_HEADERS = {
    "Cache-Control": "no-store",
    "Vary": "Accept, Cookie",
    "Link": LINK_HEADER,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Link",
}
"""Every lookup answer varies with Accept (JSON or page) and the language cookie; it names
the code's linkset (`traceability.lookup.linkset`) and may be read from any web origin
(public data, no credentials)."""


def _page_or_json(text: str) -> tuple[Response, int]:
    """The verdict; a HEAD gets its headers without counting a scan (nobody saw a verdict:
    link checkers and chat apps' previews ask HEAD, and scan counts are the clone signal)."""
    if not within_public_limit(current_app, request.remote_addr):
        raise TooManyRequests(retry_after=_retry_after(current_app, request.remote_addr))
    as_json = wants_json() or request.args.get("format") == "json"
    response, status = lookup_answer(text, record_scan=request.method != "HEAD", as_json=as_json)
    response.headers.update(LOOKUP_HEADERS)
    return response, status


def _preflight() -> tuple[Response, int]:
    """A CORS preflight on a code URL (GS1 resolvers SHALL support CORS): nothing is read."""
    response = Response(status=204)
    response.headers.update(PREFLIGHT_HEADERS)
    response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response, 204


@bp.route("/c/<path:code>", methods=["GET", "OPTIONS"])
@bp.route("/C/<path:code>", methods=["GET", "OPTIONS"])
def code_page(code: str) -> tuple[BaseResponse, int]:
    if request.method == "OPTIONS":
        return _preflight()
    if _asks_for_links():
        return _links(code, request.base_url)
    return _page_or_json(code)


@bp.route("/01/<gtin>/10/<lot>/21/<serial>", methods=["GET", "OPTIONS"])
def digital_link_page(gtin: str, lot: str, serial: str) -> tuple[BaseResponse, int]:
    if request.method == "OPTIONS":
        return _preflight()
    # the code's URL as issued: the path and its signature, without any other parameter
    url = f"{request.base_url}?{urlencode({DIGSIG_AI: request.args.get(DIGSIG_AI, '')})}"
    if _asks_for_links():
        return _links(url, url)
    response, status = _page_or_json(request.url)
    response.headers["Link"] = linkset_header(url)
    return response, status


def _asks_for_links() -> bool:
    return "linkType" in request.args or LINKSET_TYPE in request.headers.get("Accept", "")


def _links(text: str, url: str) -> tuple[BaseResponse, int]:
    """The code's links (`?linkType=linkset`) or a redirect to one (`?linkType=gs1:pip`).

    Only the code's syntax is checked (a malformed one is a 400, as GS1 asks): the links
    lead to the verdict, which says whether the code is genuine. Nothing is counted as a
    scan, but the public rate limit applies as to a lookup.
    """
    if not within_public_limit(current_app, request.remote_addr):
        raise TooManyRequests(retry_after=_retry_after(current_app, request.remote_addr))
    try:
        parse_scanned_text(text, accepted_hosts=accepted_hosts())
    except ScanError as exc:
        raise ValidationFailed(exc.message_zh, exc.message_en, code=exc.code, status=400) from None
    links = CodeLinks(url)
    link_type = request.args.get("linkType", "linkset")
    response: BaseResponse
    if link_type in LINKSET_LINK_TYPES:
        accept = request.headers.get("Accept", "")
        mimetype = LINKSET_TYPE if LINKSET_TYPE in accept else "application/json"
        response = Response(json.dumps(links.linkset(), ensure_ascii=False), mimetype=mimetype)
        response.headers["Cache-Control"] = "public, max-age=300"
        status = 200
    else:
        english = str(get_locale()) == "en" or (
            request.accept_languages.best_match(["zh-CN", "zh", "en"]) == "en"
        )
        target = links.target(link_type, "en" if english else "zh-CN", request.args.to_dict())
        response = redirect(target, code=307)
        response.headers["Cache-Control"] = "no-store"
        status = 307
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    response.headers["Access-Control-Allow-Origin"] = "*"
    # named on redirects too, so a client that followed one can still find every link
    response.headers["Link"] = linkset_header(url)
    response.headers["Access-Control-Expose-Headers"] = "Link"
    return response, status


@bp.get("/.well-known/gs1resolver")
def gs1_resolver() -> Response:
    response = jsonify(resolver_description(current_app.config["PUBLIC_BASE_URL"]))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(keystore.published_jwks(get_session()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/revocations.jws")
def revocations() -> Response:
    session = get_session()
    key = keystore.active_signing_key(session, current_app.config["SIGNING_KEY_PASSPHRASE"])
    version, jws = published_revocation_jws(session, key, _database(current_app))
    response = Response(jws, mimetype="application/jose")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["ETag"] = f'"{version}"'
    return response


@bp.get("/C/<code>/label.png")
@bp.get("/c/<code>/label.png")
@limiter.limit(public_limit)
def label_png(code: str) -> Response:
    """The label for this code; public, so the contact phone is masked (printing uses the API)."""
    from traceability.labels import DEFAULT_LAYOUT, label_data, render_label_png
    from traceability.lookup.service import certificate_for_code

    session = get_session()
    certificate, signed = certificate_for_code(session, code, database=_database(current_app))
    layout = request.args.get("layout", DEFAULT_LAYOUT)
    try:
        dpi = int(request.args.get("dpi", "203"))
    except ValueError:
        dpi = 0
    data = label_data(certificate, signed, current_app.config["PUBLIC_BASE_URL"], mask_contact=True)
    png = render_label_png(data, layout, dpi)
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
