"""The kiosk touch screen (/kiosk) and phone issuing (/phone) for producers.

The browser on a kiosk is bound to its terminal once (a form that takes the device
credential and sets a signed session cookie); producers then sign in with card or
number and PIN. Views only parse, authorise and call the kiosk domain functions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, gettext
from flask_wtf import FlaskForm
from sqlmodel import col, select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import PasswordField
from wtforms.validators import DataRequired

from printers import (
    CertificateLabelData,
    Label,
    build_label,
    get_driver,
    render_pdf_sheet,
)
from printers.drivers import printable_layouts
from printers.errors import LayoutError
from printers.raster import check_fits
from traceability import keystore
from traceability.auth.sessions import session_principal
from traceability.auth.tokens import Unauthorized
from traceability.beijing_time import format_beijing
from traceability.codes import ItemCode as SignedCode
from traceability.compliance.testing import METHOD_ZH, RESULT_ZH
from traceability.db import get_session
from traceability.errors import NotFound, ValidationFailed
from traceability.extensions import limiter
from traceability.issuing.idempotency import answer_once
from traceability.issuing.revocation import find_certificate
from traceability.issuing.service import origin_of, parse_quantity, today_in_china
from traceability.issuing.templates import current_template
from traceability.kiosk import jobs, signin, terminals
from traceability.kiosk.issuing import MAX_KIOSK_LABELS, issue_at_kiosk
from traceability.kiosk.linkable_tests import linkable_tests
from traceability.labels import (
    PHONE_CHECKED_LAYOUTS,
    PHONE_LAYOUTS,
    PHONE_NARROW_CERTIFICATE,
    check_printable,
    does_not_fit,
    format_quantity,
    label_data,
    render_label_png,
)
from traceability.models import (
    Certificate,
    ItemCode,
    Producer,
    ProducerKind,
    ProducerStatus,
    Product,
    Terminal,
)
from traceability.models.compliance import RapidTest, TestMethod, TestResult
from traceability.models.product import CATEGORY_ICONS
from traceability.models.types import utcnow
from traceability.registry.pii import IdNumberVault
from traceability.web.forms import error_text, form_status
from traceability.whole_numbers import MAX_INTEGER_ID

bp = Blueprint("kiosk", __name__)
SESSION_IDLE_SECONDS = 180


class SetupForm(FlaskForm):
    credential = PasswordField("终端凭证", validators=[DataRequired()])


def _terminal() -> Terminal | None:
    terminal_id = session.get("kiosk_terminal")
    terminal = get_session().get(Terminal, terminal_id) if terminal_id else None
    if terminal is None or terminal.revoked_at is not None:
        return None
    return terminal


def _record_id(value: Any) -> int:
    """A record id from a request, refused as 422 when it cannot name a record."""
    if isinstance(value, bool):
        value = None
    try:
        number = int(value) if isinstance(value, int | str) else None
    except ValueError:
        number = None
    if number is None or not 0 < number <= MAX_INTEGER_ID:
        raise ValidationFailed("请求无效。", "Invalid request.", code="invalid_field")
    return number


def _producer() -> Producer:
    producer_id = session.get("kiosk_producer")
    last = session.get("kiosk_seen", 0)
    now = utcnow().timestamp()
    if not producer_id or now - float(last) > SESSION_IDLE_SECONDS:
        session.pop("kiosk_producer", None)
        raise Unauthorized("请先刷卡或输入编号登录。", "Sign in with your card or number first.")
    session["kiosk_seen"] = now
    producer = get_session().get(Producer, producer_id)
    if producer is None:
        raise Unauthorized("请重新登录。", "Please sign in again.")
    return producer


@bp.route("/kiosk/setup", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def setup() -> tuple[str, int] | WerkzeugResponse:
    form = SetupForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            terminal, _ = terminals.authenticate_device(get_session(), form.credential.data or "")
        except Unauthorized as exc:
            error, status = error_text(exc), exc.status
        else:
            session.permanent = True
            session["kiosk_terminal"] = terminal.id
            return redirect(url_for("kiosk.screen"))
    return render_template("kiosk/setup.html", form=form, error=error), form_status(form, status)


@bp.get("/kiosk")
def screen() -> str | WerkzeugResponse:
    terminal = _terminal()
    if terminal is None:
        return redirect(url_for("kiosk.setup"))
    return render_template(
        "kiosk/screen.html", mode="kiosk", terminal=terminal, max_labels=MAX_KIOSK_LABELS
    )


@bp.get("/phone")
def phone() -> str:
    """Phone issuing; a producer already signed in to the web pages skips the card and PIN.

    The web password is a stronger sign-in than the kiosk PIN, and a producer who opened
    开具合格证 from its own pages should not be asked for a PIN staff may never have set.
    """
    producer = _web_producer()
    if producer is not None:
        session["kiosk_producer"] = producer.id
        session["kiosk_seen"] = utcnow().timestamp()
    return render_template(
        "kiosk/screen.html",
        mode="phone",
        terminal=None,
        max_labels=MAX_KIOSK_LABELS,
        signed_in=producer,
    )


def _web_producer() -> Producer | None:
    """The active producer of the web account signed in to this browser, if any."""
    principal = session_principal()
    if principal is None or principal.role != "producer" or principal.producer_id is None:
        return None
    producer = get_session().get(Producer, principal.producer_id)
    if producer is None or producer.status != ProducerStatus.ACTIVE:
        return None  # a suspended producer signs in as at the kiosk and is told why
    return producer


@bp.post("/kiosk/api/signin")
@limiter.limit("30 per minute")
def api_signin() -> Response:
    body = request.get_json(silent=True) or {}
    identifier, pin = str(body.get("identifier", ""))[:200], str(body.get("pin", ""))[:20]
    secret = str(current_app.config["SECRET_KEY"])
    vault = IdNumberVault.from_config(current_app.config)
    producer = signin.sign_in(get_session(), identifier, pin, secret=secret, id_digest=vault.digest)
    get_session().commit()
    session["kiosk_producer"] = producer.id
    session["kiosk_seen"] = utcnow().timestamp()
    return jsonify({"producer": {"id": producer.id, "name": producer.name}})


@bp.post("/kiosk/api/signout")
def api_signout() -> Response:
    session.pop("kiosk_producer", None)
    return jsonify({"ok": True})


@bp.get("/kiosk/api/catalog")
def api_catalog() -> Response:
    producer = _producer()
    products = (
        get_session()
        .exec(
            select(Product)
            .where(Product.producer_id == producer.id, col(Product.active).is_(True))
            .order_by(col(Product.id))
        )
        .all()
    )
    style = "2" if producer.kind == ProducerKind.PURCHASER else "1"
    template = current_template(style)
    return jsonify(
        {
            "producer": {"id": producer.id, "name": producer.name, "kind": producer.kind},
            "products": [
                {
                    "id": p.id,
                    "name": p.name,
                    "category": p.category,
                    "unit": p.default_unit,
                    "icon": CATEGORY_ICONS.get(p.category, "🧺"),
                }
                for p in products
            ],
            "promise": template.promise,
            "promise_en": template.promise_en,
            "basis": [
                {"code": b.code, "zh": b.zh, "en": b.en, "requires_test": b.requires_test}
                for b in template.basis
            ],
            "title": template.title,
            "style": style,
        }
    )


def _in_english(label: str) -> str:
    with force_locale("en"):
        return gettext(label)


def _test_choice(test: RapidTest) -> dict[str, Any]:
    """One test as the kiosk lists it: Beijing time, method, what it tested, result."""
    method = METHOD_ZH[TestMethod(test.method)]
    result = RESULT_ZH[TestResult(test.result)]
    return {
        "id": test.id,
        "tested_at": format_beijing(test.tested_at),
        "method_zh": method,
        "method_en": _in_english(method),
        "target": test.target or "、".join(test.items),
        "inhibition_rate": str(test.inhibition_rate) if test.inhibition_rate is not None else None,
        "result_zh": result,
        "result_en": _in_english(result),
    }


@bp.get("/kiosk/api/tests")
def api_tests() -> Response:
    """The signed-in producer's recent passing tests of a product, to back a tested basis."""
    producer = _producer()
    product = get_session().get(Product, _record_id(request.args.get("product_id")))
    if product is None or product.producer_id != producer.id:
        raise NotFound("找不到该产品。", "No such product.", code="product_not_found")
    tests = linkable_tests(get_session(), producer, product)
    return jsonify({"tests": [_test_choice(t) for t in tests]})


def _test_ids(body: dict[str, Any]) -> list[int]:
    value = body.get("tests") or []
    if not isinstance(value, list) or len(value) > 20:
        raise ValidationFailed("请求无效。", "Invalid request.", code="invalid_field")
    return [_record_id(i) if isinstance(i, int) else _record_id(None) for i in value]


def _issue_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("请求无效。", "Invalid request.", code="invalid_json")
    return body


@bp.post("/kiosk/api/issue")
@limiter.limit("30 per minute")
def api_issue() -> tuple[Response, int]:
    producer = _producer()
    body = _issue_body()
    terminal = _terminal() if body.get("mode") != "phone" else None
    if body.get("mode") != "phone" and terminal is None:
        raise Unauthorized("此设备未绑定终端。", "This browser is not bound to a kiosk terminal.")
    items = body.get("items", 1)
    product_id = body.get("product_id")
    basis = body.get("basis") or []
    if not isinstance(items, int) or not isinstance(product_id, int) or not isinstance(basis, list):
        raise ValidationFailed("请求无效。", "Invalid request.", code="invalid_field")
    product_id = _record_id(product_id)
    test_ids = _test_ids(body)
    db = get_session()

    def work() -> tuple[int, dict[str, Any]]:
        key = keystore.active_signing_key(db, current_app.config["SIGNING_KEY_PASSPHRASE"])
        result = issue_at_kiosk(
            db,
            producer,
            product_id=product_id,
            quantity=str(body.get("quantity", "")),
            unit=str(body.get("unit") or "") or None,
            basis=[str(b) for b in basis],
            items=items,
            key=key,
            terminal=terminal,
            base_url=current_app.config["PUBLIC_BASE_URL"],
            channel="kiosk" if terminal else "phone",
            test_ids=test_ids,
        )
        cert = result.issued.certificate
        return 201, {
            "certificate": {
                "number": cert.number,
                "product": cert.product_name,
                "items": cert.item_count,
            },
            "job": {"id": result.job.id, "state": result.job.state} if result.job else None,
            "label_url": url_for("kiosk.certificate_label", number=cert.number),
            "labels_pdf_url": url_for("kiosk.certificate_labels_pdf", number=cert.number),
        }

    # kiosk.js sends one key per confirmed issue: a tap again after a lost answer (a
    # flaky township network) gets the first certificate and print job, not a second
    status, answer, _ = answer_once(
        db,
        principal=f"kiosk-producer:{producer.id}",
        key=request.headers.get("Idempotency-Key"),
        body=body,
        work=work,
    )
    return jsonify(answer), status


@bp.get("/kiosk/api/jobs/<job_id>")
def api_job(job_id: str) -> Response:
    producer = _producer()
    job = jobs.get_job(get_session(), job_id)
    cert = find_certificate_by_id(job.certificate_id)
    if cert.producer_id != producer.id:
        raise NotFound("找不到该打印任务。", "No such print job.")
    terminal = get_session().get(Terminal, job.terminal_id)
    return jsonify(
        {
            "state": job.state,
            "waiting_reasons": job.waiting_reasons,
            "printer_state": terminal.printer_state if terminal else None,
            "agent_online": terminals.is_online(terminal) if terminal else False,
            "printer_reasons": terminal.printer_reasons if terminal else [],
            "error": job.error,
        }
    )


def find_certificate_by_id(certificate_id: int) -> Certificate:
    cert = get_session().get(Certificate, certificate_id)
    if cert is None:
        raise NotFound("找不到该合格证。", "No such certificate.")
    return cert


def _own_certificate(number: str) -> Certificate:
    producer = _producer()
    cert = find_certificate(get_session(), number)
    if cert.producer_id != producer.id:
        raise NotFound("找不到该合格证。", "No such certificate.")
    return cert


def _item_codes(cert: Certificate) -> list[SignedCode]:
    """Every item code of the certificate, in label order (1/n, 2/n …)."""
    items = get_session().exec(
        select(ItemCode).where(ItemCode.certificate_id == cert.id).order_by(col(ItemCode.seq))
    )
    return [SignedCode(i.serial[:10], i.serial[10:], i.kid, i.signature) for i in items]


def _phone_labels(cert: Certificate, driver: str | None = None) -> list[Label]:
    """What phone issuing prints: the full certificate, then one item label per code.

    For a printer language whose printers are narrower than the full certificate (CPCL's
    3-inch ones) the certificate is the 60×40 label, not one clipped at the right edge.
    """
    base_url = current_app.config["PUBLIC_BASE_URL"]
    codes = _item_codes(cert)
    (certificate_layout, dpi), (item_layout, _) = PHONE_LAYOUTS
    if driver is not None and certificate_layout not in printable_layouts(driver):
        certificate_layout, dpi = PHONE_NARROW_CERTIFICATE
    try:
        labels = [build_label(certificate_layout, label_data(cert, codes[0], base_url), dpi)]
        labels += [
            build_label(
                item_layout,
                label_data(cert, code, base_url, sequence=f"{seq}/{cert.item_count}"),
                dpi,
            )
            for seq, code in enumerate(codes, start=1)
        ]
        for label in labels:
            check_fits(label)
    except LayoutError as exc:  # checked when issued; a name edited since may not fit
        raise does_not_fit(exc) from exc
    return labels


@bp.get("/kiosk/api/certificates/<number>/label.png")
def certificate_label(number: str) -> Response:
    """The producer's own full certificate label for phone issuing: print or share it."""
    cert = _own_certificate(number)
    data = label_data(cert, _item_codes(cert)[0], current_app.config["PUBLIC_BASE_URL"])
    return Response(render_label_png(data, PHONE_LAYOUTS[0][0], 203), mimetype="image/png")


@bp.get("/kiosk/api/certificates/<number>/labels.pdf")
def certificate_labels_pdf(number: str) -> Response:
    """Every item label of the certificate on A4 pages, for an office printer or to share."""
    cert = _own_certificate(number)
    pdf = render_pdf_sheet(_phone_labels(cert)[1:])
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{cert.number}.pdf"'
    return response


@bp.get("/kiosk/api/certificates/<number>/printer-bytes")
def certificate_bytes(number: str) -> Response:
    """One file for a Bluetooth label printer (CPCL or TSPL), sent from the phone: the full
    certificate, then an item label for every code, as the kiosk prints them."""
    cert = _own_certificate(number)
    driver_name = request.args.get("driver", "cpcl")
    if driver_name not in ("cpcl", "tspl"):
        raise ValidationFailed(
            "只支持 cpcl 或 tspl。", "driver must be cpcl or tspl.", code="invalid_driver"
        )
    driver = get_driver(driver_name)
    labels = _phone_labels(cert, driver_name)
    payload = b"".join(driver.encode(label, mode="raster").data for label in labels)
    response = Response(payload, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{cert.number}.{driver_name}"'
    return response


def _preview_quantity(text: str, unit: str) -> str:
    """The quantity line of the preview: blank until one is typed, refused if unusable."""
    if not text.strip():
        return ""
    return format_quantity(parse_quantity(text), unit)


@bp.get("/kiosk/api/preview.png")
def preview() -> Response:
    """The label as it will print, before anything is issued (QR replaced by a sample).

    A label that could never print (a registered name too long for this terminal's labels)
    is a 422 with the reason, the same refusal the issue would get, so the screen says it
    before the producer promises.
    """
    producer = _producer()
    product = get_session().get(Product, _record_id(request.args.get("product_id")))
    if product is None or product.producer_id != producer.id:
        raise NotFound("找不到该产品。", "No such product.", code="product_not_found")
    unit = (request.args.get("unit") or product.default_unit)[:10]
    quantity = _preview_quantity(request.args.get("quantity", "")[:40], unit)
    origin, _ = origin_of(get_session(), producer.region_id)
    template = current_template("2" if producer.kind == ProducerKind.PURCHASER else "1")
    data = CertificateLabelData(
        product=product.name,
        qr_text=current_app.config["PUBLIC_BASE_URL"].upper() + "/C/SAMPLE",
        issuer=producer.name,
        date=today_in_china(utcnow()).isoformat(),
        quantity=quantity,
        origin=origin,
        phone=producer.phone or "",
        promise=template.promise,
        basis=tuple(b[:40] for b in request.args.getlist("basis")[:5]),
        certificate_no="样张 SAMPLE",
    )
    terminal = _terminal()
    label_layouts = (
        ((terminal.certificate_layout, terminal.dpi), (terminal.item_layout, terminal.dpi))
        if terminal is not None
        else PHONE_CHECKED_LAYOUTS
    )
    worst = replace(data, sequence=f"{MAX_KIOSK_LABELS}/{MAX_KIOSK_LABELS}", reprint=True)
    check_printable(worst, label_layouts)
    png = render_label_png(data, PHONE_LAYOUTS[0][0], 203)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})
