"""Issue a certificate with N signed item codes, as one all-or-nothing transaction.

The API, the CLI and the kiosk call `issue_certificate`; every rule about what may be
issued lives here or in the gates it runs (compliance plugs its checks into ISSUE_GATES).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from traceability.beijing_time import CHINA
from traceability.codes import ItemCode as SignedCode
from traceability.codes import (
    ScanError,
    SigningKey,
    new_group_code,
    parse_scanned_text,
    sign_item_codes,
)
from traceability.db import record_by_id
from traceability.errors import Conflict, DomainError, NotFound, ValidationFailed
from traceability.issuing.templates import CertificateTemplate, current_template
from traceability.models import (
    Batch,
    Certificate,
    CertificateStyle,
    CertificateUpstream,
    Producer,
    ProducerKind,
    ProducerStatus,
    Product,
    Region,
)
from traceability.models.types import utcnow

MAX_ITEMS_PER_REQUEST = 10_000
UNITS = (
    "kg",
    "g",
    "t",
    "斤",
    "公斤",
    "克",
    "吨",
    "只",
    "头",
    "羽",
    "枚",
    "个",
    "箱",
    "袋",
    "盒",
    "筐",
    "件",
    "条",
    "尾",
    "把",
    "捆",
    "份",
)
MAX_SIGNATURE_IMAGE = 200 * 1024
INSERT_CHUNK = 2_000


@dataclass
class IssueRequest:
    """What an issuer asks for; unset fields come from the batch, product or producer."""

    producer_id: int
    batch_id: int | None = None
    product_id: int | None = None
    product_name: str | None = None
    quantity: Decimal | str | int | float | None = None
    unit: str | None = None
    origin_text: str | None = None
    item_count: int = 1
    basis: list[str] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)
    signature_confirmed: bool = False
    signature_image: bytes | None = None
    channel: str = "api"
    gtin_form: bool = False
    test_ids: list[int] = field(default_factory=list)  # tests backing a "tested" basis
    roll_codes: list[str] = field(default_factory=list)  # pre-printed codes to activate


@dataclass
class IssueContext:
    """Everything a gate may look at before a certificate is written."""

    session: Session
    request: IssueRequest
    producer: Producer
    batch: Batch | None
    product: Product | None
    template: CertificateTemplate
    basis_codes: list[str]
    issue_date: date
    now: datetime


Gate = Callable[[IssueContext], None]
ISSUE_GATES: list[Gate] = []
# told of refusals made here rather than by a gate (compliance records them)
RefusalListener = Callable[[Session, IssueRequest, DomainError, datetime], None]
REFUSAL_LISTENERS: list[RefusalListener] = []


@dataclass
class IssuedCertificate:
    certificate: Certificate
    codes: list[SignedCode]
    upstream_numbers: list[str] = field(default_factory=list)


class ProducerSuspended(DomainError):
    status = 403
    code = "producer_suspended"


def today_in_china(now: datetime) -> date:
    """The legal issue date is the local (Beijing) date, not the UTC one."""
    return now.astimezone(CHINA).date()


def parse_quantity(value: Any) -> Decimal:
    """A quantity > 0 with at most three decimals, or a refusal in both languages.

    Text is digits with an optional decimal point, as a person types a weight: no
    exponent ("1e5"), sign, NaN or Infinity, and never long enough to cost real work.
    """
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        number_like = True
    else:
        number_like = (
            len(text) <= 40
            and text.count(".") <= 1
            and any(c.isdigit() for c in text)
            and all(c in "0123456789." for c in text)
        )
    try:
        quantity = Decimal(text) if number_like else None
    except (InvalidOperation, ValueError):
        quantity = None
    if quantity is None or not quantity.is_finite():
        raise ValidationFailed(
            "数量只能是数字，可带小数点，例如 12.5。",
            "Quantity takes digits and an optional decimal point only, e.g. 12.5.",
            code="invalid_quantity",
        )
    if quantity <= 0:
        raise ValidationFailed(
            "数量必须大于 0。", "Quantity must be greater than zero.", code="invalid_quantity"
        )
    if quantity >= Decimal("1e10"):
        raise ValidationFailed(
            "数量太大（须小于 100 亿），请检查输入。",
            "The quantity is too large (it must be under ten billion); please check it.",
            code="invalid_quantity",
        )
    if quantity.as_tuple().exponent < -3:  # type: ignore[operator]
        raise ValidationFailed(
            "数量最多保留三位小数。",
            "Quantity takes at most three decimals.",
            code="invalid_quantity",
        )
    return quantity


def origin_of(session: Session, region_id: int | None) -> tuple[str, str | None]:
    """'县 镇 村' text and the most precise division code for a region."""
    names: list[str] = []
    code: str | None = None
    region = session.get(Region, region_id) if region_id else None
    while region is not None:
        names.append(region.name)
        code = code or region.code
        region = session.get(Region, region.parent_id) if region.parent_id else None
    return "".join(reversed(names)), code


def _load_subject(
    session: Session, req: IssueRequest
) -> tuple[Producer, Batch | None, Product | None]:
    producer = record_by_id(session, Producer, req.producer_id)
    if producer is None:
        raise NotFound("找不到该生产主体。", "No such producer.", code="producer_not_found")
    batch = record_by_id(session, Batch, req.batch_id) if req.batch_id else None
    if req.batch_id and (batch is None or batch.producer_id != producer.id):
        raise NotFound("找不到该批次。", "No such batch for this producer.", code="batch_not_found")
    product_id = batch.product_id if batch else req.product_id
    product = session.get(Product, product_id) if product_id else None
    if product_id and (product is None or product.producer_id != producer.id):
        raise NotFound(
            "找不到该产品。", "No such product for this producer.", code="product_not_found"
        )
    if product is not None and not product.active:
        raise Conflict(
            "该产品已停用，不能开具合格证；如仍在销售，请先在生产主体页面启用该产品。",
            "This product is deactivated and takes no certificates; if it is still sold, "
            "reactivate it on the producer's page first.",
            code="product_inactive",
        )
    return producer, batch, product


def _basis(template: CertificateTemplate, requested: list[str]) -> tuple[list[str], list[str]]:
    if not requested:
        raise ValidationFailed(
            "请至少勾选一项承诺依据。",
            "Tick at least one basis for the promise.",
            code="basis_required",
        )
    zh: list[str] = []
    codes: list[str] = []
    for item in requested:
        option = template.basis_option(str(item))
        if option is None:
            choices = "、".join(o.zh for o in template.basis)
            raise ValidationFailed(
                f"承诺依据“{item}”不在可选项中（{choices}）。",
                f"Basis {item!r} is not one of: {', '.join(o.en for o in template.basis)}.",
                code="invalid_basis",
            )
        if option.code not in codes:
            codes.append(option.code)
            zh.append(option.zh)
    return zh, codes


def _resolve_upstream(session: Session, refs: list[str]) -> list[tuple[int | None, str | None]]:
    """Upstream references: our certificate numbers or code URLs, else external text."""
    resolved: list[tuple[int | None, str | None]] = []
    for ref in refs:
        text = str(ref).strip()
        if not text or len(text) > 512:
            raise ValidationFailed(
                "上游合格证编号无效。", "Invalid upstream certificate reference."
            )
        cert = session.exec(select(Certificate).where(Certificate.number == text)).first()
        if cert is None:
            try:
                group = parse_scanned_text(text).code.group
            except ScanError:
                group = None
            if group:
                cert = session.exec(
                    select(Certificate).where(Certificate.group_code == group)
                ).first()
        if cert is not None:
            resolved.append((cert.id, None))
        elif len(text) <= 200:
            resolved.append((None, text))
        else:
            raise ValidationFailed("上游合格证编号过长。", "Upstream reference is too long.")
    return resolved


def _check_request(req: IssueRequest, max_items: int) -> None:
    if req.roll_codes:
        req.item_count = len(req.roll_codes)
    if not isinstance(req.item_count, int) or not 1 <= req.item_count <= max_items:
        raise ValidationFailed(
            f"追溯码数量必须在 1 到 {max_items} 之间。",
            f"The number of item codes must be between 1 and {max_items}.",
            code="invalid_item_count",
        )
    if not req.signature_confirmed and not req.signature_image:
        raise ValidationFailed(
            "开具人须确认签名（或上传电子签名图片）。",
            "The issuer must confirm the signature (or upload a signature image).",
            code="signature_required",
        )
    if req.signature_image and len(req.signature_image) > MAX_SIGNATURE_IMAGE:
        raise ValidationFailed(
            "签名图片过大（最大 200 KB）。", "Signature image too large (200 KB max)."
        )


def issue_certificate(
    session: Session,
    req: IssueRequest,
    key: SigningKey,
    *,
    now: datetime | None = None,
    max_items: int = MAX_ITEMS_PER_REQUEST,
    keep_codes: bool = True,
    on_codes: Callable[[list[SignedCode]], None] | None = None,
) -> IssuedCertificate:
    """Check, snapshot, sign and store; the caller commits (or rolls back) the session.

    For bulk runs pass `keep_codes=False` and consume the codes chunk by chunk in
    `on_codes` (write them to a file, advance a progress bar) so memory stays flat.
    """
    now = now or utcnow()
    _check_request(req, max_items)
    producer, batch, product = _load_subject(session, req)
    if producer.status != ProducerStatus.ACTIVE:
        suspended = ProducerSuspended(
            "该生产主体已被暂停开具合格证，请联系乡镇监管站。",
            "This producer is suspended from issuing; contact the township supervision station.",
        )
        for listener in REFUSAL_LISTENERS:
            listener(session, req, suspended, now)
        raise suspended
    style = (
        CertificateStyle.PURCHASER
        if producer.kind == ProducerKind.PURCHASER
        else CertificateStyle.PRODUCER
    )
    template = current_template(style.value)
    basis_zh, basis_codes = _basis(template, req.basis)
    issue_date = today_in_china(now)
    if batch and batch.harvest_date and batch.harvest_date > issue_date:
        raise ValidationFailed(
            "采收日期晚于开具日期。",
            "The harvest date is after the issue date.",
            code="harvest_in_future",
        )
    product_name = (product.name if product else None) or (req.product_name or "").strip()
    if not product_name or len(product_name) > 100:
        raise ValidationFailed(
            "请填写产品名称。", "Give the product name.", code="product_required"
        )
    quantity = parse_quantity(
        req.quantity if req.quantity is not None else (batch.quantity if batch else None)
    )
    unit = (
        req.unit or (batch.unit if batch else None) or (product.default_unit if product else "")
    ).strip()
    if unit not in UNITS:
        raise ValidationFailed(
            f"单位“{unit}”无效，可用：{'、'.join(UNITS)}。",
            f"Unit {unit!r} is not one of {', '.join(UNITS)}.",
            code="invalid_unit",
        )
    if not producer.phone:
        raise ValidationFailed(
            "生产主体缺少联系电话，请先补充登记信息。",
            "The producer has no contact phone; complete the registry entry first.",
            code="phone_required",
        )
    origin_text, origin_code = origin_of(
        session, batch.origin_region_id if batch else producer.region_id
    )
    if batch and batch.origin_text:
        origin_text = batch.origin_text
    if req.origin_text:
        origin_text = req.origin_text.strip()
    if not origin_text:
        raise ValidationFailed("请填写产地。", "Give the place of origin.", code="origin_required")
    upstream = _resolve_upstream(session, req.upstream)
    if style == CertificateStyle.PURCHASER and not upstream:
        raise ValidationFailed(
            "收购者开具合格证（样式二）须关联上游合格证。",
            "A purchaser's certificate (style 2) must name the upstream certificates "
            "it was made from.",
            code="upstream_required",
        )
    if req.gtin_form and not (product and product.gtin):
        raise ValidationFailed(
            "该产品没有商品条码（GTIN），不能生成 GS1 数字链接。",
            "This product has no GTIN, so no GS1 Digital Link can be made.",
            code="gtin_required",
        )
    context = IssueContext(
        session, req, producer, batch, product, template, basis_codes, issue_date, now
    )
    for gate in ISSUE_GATES:
        gate(context)

    group = _unused_group(session)
    certificate = Certificate(
        number=f"HGZ{issue_date:%Y%m%d}-{group}",
        group_code=group,
        style=style.value,
        template_version=template.version,
        producer_id=producer.id or 0,
        batch_id=batch.id if batch else None,
        product_name=product_name,
        quantity=quantity,
        unit=unit,
        origin_text=origin_text[:300],
        origin_region_code=origin_code,
        issuer_name=producer.name,
        issuer_phone=producer.phone,
        issue_date=issue_date,
        promise_text=template.promise,
        basis=basis_zh,
        signature_kind="image" if req.signature_image else "confirmation",
        signature_image=req.signature_image,
        signature_note=f"{producer.name} 于 {now.astimezone(CHINA):%Y-%m-%d %H:%M} 确认签名",
        channel=req.channel,
        kid=key.kid,
        item_count=req.item_count,
        gtin=product.gtin if (product and req.gtin_form) else None,
        issued_at=now,
    )
    session.add(certificate)
    session.flush()
    for upstream_id, external in upstream:
        session.add(
            CertificateUpstream(
                certificate_id=certificate.id or 0,
                upstream_certificate_id=upstream_id,
                external_reference=external,
            )
        )
    from traceability.audit import record_audit

    record_audit(
        session, None, "certificate.issue", object_type="certificate", object_id=certificate.number,
        after={"producer_id": certificate.producer_id, "batch_id": certificate.batch_id,
               "items": req.item_count, "channel": req.channel},
    )  # fmt: skip
    codes: list[SignedCode] = []
    if req.roll_codes:  # 印刷激活: bind pre-printed codes instead of signing new ones
        from traceability.issuing.rolls import bind_roll_codes

        bound = bind_roll_codes(session, certificate, req.roll_codes)
        if on_codes is not None:
            on_codes(bound)
        return IssuedCertificate(certificate, bound if keep_codes else [])
    stream = sign_item_codes(group, req.item_count, key)
    for chunk in store_item_codes(session, certificate.id, stream):
        if keep_codes:
            codes.extend(chunk)
        if on_codes is not None:
            on_codes(chunk)
    return IssuedCertificate(certificate, codes)


def _unused_group(session: Session) -> str:
    for _ in range(8):
        group = new_group_code()
        if (
            session.exec(select(Certificate.id).where(Certificate.group_code == group)).first()
            is None
        ):
            return group
    raise Conflict("无法生成唯一编号，请重试。", "Could not allocate a unique code; retry.")


def _chunks(codes: Iterable[SignedCode]) -> Iterator[list[SignedCode]]:
    chunk: list[SignedCode] = []
    for code in codes:
        chunk.append(code)
        if len(chunk) == INSERT_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def store_item_codes(
    session: Session,
    certificate_id: int | None,
    codes: Iterable[SignedCode],
    *,
    roll_id: int | None = None,
) -> Iterator[list[SignedCode]]:
    """Bulk insert through the driver, chunk by chunk, yielding each stored chunk.

    Streaming keeps a million-code run flat in memory; 10,000 ORM objects would cost
    more than the signatures themselves.
    """
    connection = session.connection()
    copy_rows = connection.dialect.name == "postgresql"
    start = 0
    for chunk in _chunks(codes):
        if copy_rows:
            # COPY on the session's own connection: same transaction as the certificate,
            # a fraction of the round trips and parsing of a multi-row INSERT.
            _copy_item_codes(connection, chunk, certificate_id, roll_id, start)
        else:
            # the driver's executemany with plain tuples: through insert(table) SQLAlchemy
            # processed every row's parameters: ~12 % of a million-code run
            connection.exec_driver_sql(
                _INSERT_ITEM_CODES,
                [
                    (c.serial, certificate_id, roll_id, start + offset + 1, c.kid, c.signature)
                    for offset, c in enumerate(chunk)
                ],
            )
        start += len(chunk)
        yield chunk


_INSERT_ITEM_CODES = (
    "INSERT INTO item_code (serial, certificate_id, roll_id, seq, kid, signature, scan_count)"
    " VALUES (?, ?, ?, ?, ?, ?, 0)"
)


def _copy_item_codes(
    connection: Connection,
    chunk: list[SignedCode],
    certificate_id: int | None,
    roll_id: int | None,
    start: int,
) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(
            "COPY item_code (serial, certificate_id, roll_id, seq, kid, signature, scan_count)"
            " FROM STDIN"
        ) as copy,
    ):
        for offset, c in enumerate(chunk):
            copy.write_row(
                (c.serial, certificate_id, roll_id, start + offset + 1, c.kid, c.signature, 0)
            )


# Compliance checks (banned inputs, intervals, tests, blocks after a failed test) run in
# every issue, whoever calls: registered here, next to the list they extend.
from traceability.compliance.gate import compliance_gate, record_refusal  # noqa: E402

ISSUE_GATES.append(compliance_gate)
REFUSAL_LISTENERS.append(record_refusal)
