"""Public pages: the QR code URL (HTML for phones, JSON for machines) and published keys."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from traceability import keystore
from traceability.codes import sign_json
from traceability.db import get_engine, get_session
from traceability.errors import wants_json
from traceability.extensions import limiter
from traceability.issuing.revocation import published_revocation_jws
from traceability.lookup.scans import scan_buffer
from traceability.lookup.service import coarse_place, lookup

bp = Blueprint("lookup", __name__)


def public_limit() -> str:
    return str(current_app.config["RATELIMIT_PUBLIC"])


def accepted_hosts() -> set[str]:
    hosts = {urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc.lower()}
    if request.host:
        hosts.add(request.host.lower())
    return hosts


def _database() -> str:
    return get_engine().url.render_as_string(hide_password=True)


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
    )
    status = 400 if result.status == "malformed" else 200
    if not as_json:
        return Response(render_template("lookup.html", result=result), status=status), status
    body = result.to_dict()
    key = keystore.response_signing_key(
        session, current_app.config["SIGNING_KEY_PASSPHRASE"], _database()
    )
    body["jws"] = sign_json({k: v for k, v in body.items() if k != "jws"}, key)
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, status


def _page_or_json(text: str) -> tuple[Response, int]:
    as_json = wants_json() or request.args.get("format") == "json"
    response, status = lookup_answer(text, record_scan=True, as_json=as_json)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept, Cookie"
    return response, status


@bp.get("/c/<path:code>")
@bp.get("/C/<path:code>")
@limiter.limit(public_limit)
def code_page(code: str) -> tuple[Response, int]:
    return _page_or_json(code)


@bp.get("/01/<gtin>/10/<lot>/21/<serial>")
@limiter.limit(public_limit)
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
