"""Public pages: the QR code URL (HTML for phones, JSON for machines) and published keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from traceability import keystore
from traceability.codes import sign_canonical
from traceability.db import get_engine, get_session
from traceability.errors import wants_json
from traceability.extensions import limiter
from traceability.issuing.revocation import published_revocation_jws
from traceability.lookup.scans import scan_buffer
from traceability.lookup.service import ItemReader, LookupResult, coarse_place, lookup
from traceability.lookup.snapshots import MAX_PAGES_PER_CERTIFICATE, facts_cache

bp = Blueprint("lookup", __name__)
P = ParamSpec("P")
R = TypeVar("R")


def public_limit() -> str:
    return str(current_app.config["RATELIMIT_PUBLIC"])


def accepted_hosts() -> set[str]:
    public = current_app.config["PUBLIC_BASE_URL"]
    hosts = {_netloc(public)}
    if request.host:
        hosts.add(request.host.lower())
    return hosts


@lru_cache(maxsize=8)
def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _database() -> str:
    """The engine's URL without password: names the database in per-process caches."""
    name: str | None = current_app.extensions.get("db_name")
    if name is None:
        name = get_engine().url.render_as_string(hide_password=True)
        current_app.extensions["db_name"] = name
    return name


def _item_reader() -> ItemReader:
    reader: ItemReader | None = current_app.extensions.get("lookup_item_reader")
    if reader is None:
        reader = ItemReader(get_engine())
        current_app.extensions["lookup_item_reader"] = reader
    return reader


def lookup_answer(text: str, *, record_scan: bool, as_json: bool = True) -> tuple[Response, int]:
    session = get_session()
    place = coarse_place(request.remote_addr, current_app.config["SECRET_KEY"])
    result = lookup(
        session,
        text,
        database=_database(),
        accepted_hosts=accepted_hosts(),
        place=place,
        record_scan=record_scan,
        scans=scan_buffer(current_app),
        facts=facts_cache(current_app) if record_scan else None,
        reader=_item_reader() if record_scan else None,
    )
    status = 400 if result.status == "malformed" else 200
    if not as_json:
        return Response(_page(result), status=status, mimetype="text/html"), status
    key = keystore.response_signing_key(
        session, current_app.config["SIGNING_KEY_PASSPHRASE"], _database()
    )
    payload = result.to_canonical_json()
    jws = sign_canonical(payload, key)
    # the signed payload plus its own signature: one serialisation, not three
    body = payload[:-1] + b',"jws":' + json.dumps(jws).encode("ascii") + b"}"
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response, status


_SEQ = "<!--lookup:item-seq-->"
_SCANS = "<!--lookup:scans-->"


def _page(result: LookupResult) -> str:
    """The lookup page; per certificate it is rendered once per language and verdict.

    Only the code's number and its scan counts change from one code (and scan) to the
    next; they go into markers in the kept page. Escaped user text cannot contain the
    markers (`<` becomes `&lt;`).
    """
    facts = result.facts
    if facts is None or result.item is None:
        return render_template("lookup.html", result=result)
    language = str(get_locale())
    key = (language, result.status, result.reason or "", result.at or "")
    page = facts.pages.get(key)
    if page is None:
        page = render_template(
            "lookup.html", result=result, item_seq=Markup(_SEQ), scans_html=Markup(_SCANS)
        )
        if len(facts.pages) < MAX_PAGES_PER_CERTIFICATE:
            facts.pages[key] = page
    # straight from the environment: the fragment needs no context processors or signals
    scans = current_app.jinja_env.get_template("_lookup_scans.html").render(result=result)
    return page.replace(_SEQ, str(result.item.seq), 1).replace(_SCANS, scans, 1)


def _page_or_json(text: str) -> tuple[Response, int]:
    as_json = wants_json() or request.args.get("format") == "json"
    response, status = lookup_answer(text, record_scan=True, as_json=as_json)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept, Cookie"
    return response, status


def _public_rate_limit(view: Callable[P, R]) -> Callable[P, R]:
    """`limiter.limit(public_limit)`, skipped entirely while limits are switched off.

    Flask-Limiter walks its limits even when disabled (tens of µs a request); with
    RATELIMIT_ENABLED=false (benchmarks, or a proxy in front that limits) the hot public
    lookup pays nothing for it.
    """
    limited = limiter.limit(public_limit)(view)

    @wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_app.config["RATELIMIT_ENABLED"]:
            return limited(*args, **kwargs)
        return view(*args, **kwargs)

    return checked


@bp.get("/c/<path:code>")
@bp.get("/C/<path:code>")
@_public_rate_limit
def code_page(code: str) -> tuple[Response, int]:
    return _page_or_json(code)


@bp.get("/01/<gtin>/10/<lot>/21/<serial>")
@_public_rate_limit
def digital_link_page(gtin: str, lot: str, serial: str) -> tuple[Response, int]:
    return _page_or_json(request.url)


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(keystore.published_jwks(get_session()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/revocations.jws")
def revocations() -> Response:
    session = get_session()
    key = keystore.active_signing_key(session, current_app.config["SIGNING_KEY_PASSPHRASE"])
    version, jws = published_revocation_jws(session, key, _database())
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
    certificate, signed = certificate_for_code(session, code, database=_database())
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
