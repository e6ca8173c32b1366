"""Register kiosks, enrol their agents, authenticate them, and record heartbeats.

Enrolment: an admin registers a terminal and gets a one-time enrolment code (shown
once); the agent trades it for a long-lived device credential (shown once, stored as
a SHA-256 hash: it carries 256 random bits). Revoking the terminal refuses it at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from printers import drivers as printer_drivers
from traceability.audit import record_audit
from traceability.auth.tokens import Principal, Unauthorized
from traceability.db import record_by_id
from traceability.errors import Conflict, NotFound, ValidationFailed
from traceability.labels import CERTIFICATE_LAYOUTS, DPIS, ITEM_LAYOUTS
from traceability.models import Region, RegionLevel, Terminal
from traceability.models.types import utcnow

ENROLMENT_VALID_FOR = timedelta(days=7)
OFFLINE_AFTER = timedelta(seconds=90)  # three missed 30-second heartbeats
CREDENTIAL_PREFIX = "dev_"
# The printer languages `printers` has a driver for; registering reads printers' own table,
# so a driver added there is offered and accepted here without another edit.
DRIVERS = tuple(printer_drivers.DRIVERS)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Registered:
    terminal: Terminal
    enrolment_code: str


def _refuse_layout(
    field: str, value: str, kind_zh: str, kind_en: str, known: tuple[str, ...]
) -> None:
    """A layout the kiosk cannot draw would fail at its first print job, after the certificate
    is issued; one of the other kind prints the wrong label. Refuse both now."""
    if value in known:
        return
    shown = value[:40]
    if value in CERTIFICATE_LAYOUTS or value in ITEM_LAYOUTS:
        zh = f"版式“{shown}”不是{kind_zh}（{field}）。"
        en = f"Layout {shown!r} is not a {kind_en} layout (`{field}`)."
    else:
        zh = f"没有名为“{shown}”的版式（{field}）。"
        en = f"There is no layout named {shown!r} (`{field}`)."
    raise ValidationFailed(
        f"{zh}{kind_zh}可选：{'、'.join(known)}。",
        f"{en} A {kind_en} layout is one of {', '.join(known)}.",
        code="invalid_layout",
        details={"field": field},
    )


def _refuse_paper(field: str, layout: str, driver: str) -> None:
    """A receipt sent to a label printer runs across its labels; a label wider than a receipt
    roll loses its edge (and its QR). `printers` says which layouts each language can print."""
    printable = printer_drivers.printable_layouts(driver)
    if layout in printable:
        return
    shown = driver.upper()
    raise ValidationFailed(
        f"{shown} 打印机不能打印版式“{layout}”（{field}）。{shown} 打印机可打印的版式："
        f"{'、'.join(printable)}；或改选打印机语言（driver）。",
        f"A {shown} printer cannot print layout {layout!r} (`{field}`). Layouts a {shown} "
        f"printer can print: {', '.join(printable)}; or choose another printer language "
        "(`driver`).",
        code="layout_not_printable",
        details={"field": field},
    )


def check_driver(driver: str) -> None:
    if driver not in printer_drivers.DRIVERS:
        known = tuple(printer_drivers.DRIVERS)
        raise ValidationFailed(
            f"打印机语言须为 {'、'.join(known)} 之一（driver）。",
            f"`driver` must be one of {', '.join(known)}.",
            code="invalid_driver",
            details={"field": "driver"},
        )


def check_printing(
    certificate_layout: str, item_layout: str, dpi: int, driver: str | None = None
) -> None:
    """Refuse layouts and a print-head resolution the label code cannot draw, and (given the
    terminal's printer language) layouts its printer cannot print."""
    _refuse_layout(
        "certificate_layout", certificate_layout, "合格证版式", "certificate", CERTIFICATE_LAYOUTS
    )
    _refuse_layout("item_layout", item_layout, "单品标签版式", "item label", ITEM_LAYOUTS)
    if driver is not None:
        check_driver(driver)
        _refuse_paper("certificate_layout", certificate_layout, driver)
        _refuse_paper("item_layout", item_layout, driver)
    if dpi not in DPIS:
        raise ValidationFailed(
            f"打印精度（dpi）须为 {' 或 '.join(map(str, DPIS))}（见打印机说明书），不能是 {dpi}。",
            f"`dpi` must be {' or '.join(map(str, DPIS))} (see the printer's manual), not {dpi}.",
            code="invalid_dpi",
            details={"field": "dpi"},
        )


def check_name(name: str) -> None:
    if not name.strip():
        raise ValidationFailed(
            "请填写终端名称。", "Give the terminal a name.", details={"field": "name"}
        )


def check_township(session: Session, township_id: int | None) -> None:
    """A kiosk stands in a township (or, with none, belongs to the county)."""
    if township_id is None:
        return
    region = record_by_id(session, Region, township_id)
    if region is None or region.level != RegionLevel.TOWNSHIP:
        raise ValidationFailed(
            "找不到该乡镇。", "No such township.", details={"field": "township_id"}
        )


def register_terminal(
    session: Session,
    *,
    name: str,
    township_id: int | None,
    site: str = "",
    printer_model: str = "",
    driver: str = "tspl",
    certificate_layout: str = "certificate-80x60",
    item_layout: str = "item-40x30",
    dpi: int = 203,
    now: datetime | None = None,
) -> Registered:
    check_name(name)
    check_printing(certificate_layout, item_layout, dpi, driver)
    check_township(session, township_id)
    now = now or utcnow()
    code = f"{secrets.randbelow(10**8):08d}-{secrets.token_hex(2)}"
    terminal = Terminal(
        name=name.strip()[:100],
        township_id=township_id,
        site=site[:200],
        printer_model=printer_model[:100],
        driver=driver,
        certificate_layout=certificate_layout,
        item_layout=item_layout,
        dpi=dpi,
        enrolment_hash=_digest(code),
        enrolment_expires_at=now + ENROLMENT_VALID_FOR,
    )
    session.add(terminal)
    session.flush()
    record_audit(
        session, None, "terminal.register", object_type="terminal", object_id=terminal.id,
        after={"name": terminal.name, "township_id": township_id, "driver": driver},
    )  # fmt: skip
    return Registered(terminal, code)


# What an edit may change; the credential and enrolment stay, so the device is not re-enrolled.
EDITABLE = (
    "name", "township_id", "site", "printer_model", "driver", "certificate_layout",
    "item_layout", "dpi",
)  # fmt: skip


def editable_terminal(session: Session, terminal_id: int) -> Terminal:
    """The terminal to change: an unknown one is a 404, a revoked one a 409."""
    terminal = session.get(Terminal, terminal_id)
    if terminal is None:
        raise NotFound("找不到该终端。", "No such terminal.", code="terminal_not_found")
    if terminal.revoked_at is not None:
        raise Conflict(
            "该终端已吊销，不能再修改；请登记新的智能机。",
            "This terminal is revoked and can no longer be changed; register a new kiosk.",
            code="terminal_revoked",
        )
    return terminal


def update_terminal(
    session: Session,
    terminal_id: int,
    *,
    name: str,
    township_id: int | None,
    site: str,
    printer_model: str,
    driver: str,
    certificate_layout: str,
    item_layout: str,
    dpi: int,
    actor: Principal | str | None = None,
) -> Terminal:
    """Change a kiosk's name, place or printer with the checks registering applies. The kiosk
    keeps its device credential; its next print job is drawn with the new layouts and dpi
    (jobs are built when the agent claims them). Every value is checked before any is set."""
    terminal = editable_terminal(session, terminal_id)
    check_name(name)
    check_printing(certificate_layout, item_layout, dpi, driver)
    check_township(session, township_id)
    wanted: dict[str, object] = {
        "name": name.strip()[:100],
        "township_id": township_id,
        "site": site.strip()[:200],
        "printer_model": printer_model.strip()[:100],
        "driver": driver,
        "certificate_layout": certificate_layout,
        "item_layout": item_layout,
        "dpi": dpi,
    }
    before = {k: getattr(terminal, k) for k in EDITABLE if getattr(terminal, k) != wanted[k]}
    if not before:
        return terminal
    for key in before:
        setattr(terminal, key, wanted[key])
    session.add(terminal)
    session.flush()
    record_audit(
        session, actor, "terminal.update", object_type="terminal", object_id=terminal.id,
        before=before, after={k: wanted[k] for k in before},
    )  # fmt: skip
    return terminal


def enrol(session: Session, code: str, *, now: datetime | None = None) -> tuple[Terminal, str]:
    """Trade a one-time enrolment code for a device credential (returned once)."""
    now = now or utcnow()
    digest = _digest(code.strip())
    terminal = session.exec(select(Terminal).where(Terminal.enrolment_hash == digest)).first()
    if (
        terminal is None
        or terminal.revoked_at is not None
        or terminal.enrolment_expires_at is None
        or terminal.enrolment_expires_at <= now
    ):
        raise Unauthorized(
            "开通码无效或已过期，请向管理员重新申请。",
            "The enrolment code is invalid or expired; ask an administrator for a new one.",
            code="invalid_enrolment_code",
        )
    prefix = secrets.token_hex(4)
    credential = f"{CREDENTIAL_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    terminal.credential_prefix = prefix
    terminal.credential_hash = _digest(credential)
    terminal.enrolment_hash = None  # one time only
    terminal.enrolment_expires_at = None
    session.add(terminal)
    session.flush()
    record_audit(
        session, f"device:{terminal.id}", "terminal.enrol", object_type="terminal",
        object_id=terminal.id, terminal=str(terminal.id),
    )  # fmt: skip
    return terminal, credential


def authenticate_device(session: Session, credential: str) -> tuple[Terminal, Principal]:
    refused = Unauthorized(
        "终端凭证无效或已吊销。",
        "The device credential is invalid or revoked.",
        code="invalid_device",
    )
    if not credential.startswith(CREDENTIAL_PREFIX) or len(credential) > 200:
        raise refused
    prefix = credential[len(CREDENTIAL_PREFIX) :].split("_", 1)[0]
    terminal = session.exec(select(Terminal).where(Terminal.credential_prefix == prefix)).first()
    if terminal is None or terminal.credential_hash is None:
        raise refused
    if not hmac.compare_digest(terminal.credential_hash, _digest(credential)):
        raise refused
    if terminal.revoked_at is not None:
        raise refused
    return terminal, Principal("device", str(terminal.id), "kiosk")


def revoke_terminal(session: Session, terminal_id: int, *, now: datetime | None = None) -> Terminal:
    terminal = session.get(Terminal, terminal_id)
    if terminal is None:
        raise NotFound("找不到该终端。", "No such terminal.")
    terminal.revoked_at = terminal.revoked_at or now or utcnow()
    session.add(terminal)
    record_audit(session, None, "terminal.revoke", object_type="terminal", object_id=terminal_id)
    return terminal


def heartbeat(
    session: Session,
    terminal: Terminal,
    *,
    agent_version: str | None,
    printer_state: str | None,
    printer_reasons: list[str],
    now: datetime | None = None,
) -> None:
    terminal.last_seen_at = now or utcnow()
    terminal.offline_since = None
    terminal.agent_version = (agent_version or "")[:40] or None
    terminal.printer_state = (printer_state or "")[:20] or None
    terminal.printer_reasons = [str(r)[:40] for r in printer_reasons[:10]]
    session.add(terminal)


def is_online(terminal: Terminal, now: datetime | None = None) -> bool:
    """The terminal's agent has been heard from lately (a heartbeat within 90 s)."""
    seen = terminal.last_seen_at
    return seen is not None and (now or utcnow()) - seen <= OFFLINE_AFTER


@dataclass(frozen=True)
class TerminalHealth:
    terminal: Terminal
    online: bool
    down_since: datetime | None


def terminal_health(
    session: Session, township_ids: set[int] | None = None, *, now: datetime | None = None
) -> list[TerminalHealth]:
    """Which kiosks are up, which are down and since when (for supervisors)."""
    now = now or utcnow()
    query = select(Terminal).where(col(Terminal.revoked_at).is_(None)).order_by(col(Terminal.name))
    if township_ids is not None:
        query = query.where(col(Terminal.township_id).in_(township_ids))
    rows = []
    for terminal in session.exec(query).all():
        seen = terminal.last_seen_at
        online = is_online(terminal, now)
        down_since = None if online else ((seen + OFFLINE_AFTER) if seen else terminal.created_at)
        rows.append(TerminalHealth(terminal, online, down_since))
    return rows
