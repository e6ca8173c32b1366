"""Printer status in one vocabulary (IPP printer-state-reasons keywords), parsed per language.

Status is tri-state in practice: ready, a fault with reasons, or unknown (no reply,
garbage, a language without status). "Unknown" is never treated as "ready" by
callers that care (printers.md §2, §6.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

State = Literal["ready", "printing", "paused", "fault", "offline", "unknown"]

# reason keyword -> (Chinese instruction for the kiosk operator, English)
REASON_MESSAGES: dict[str, tuple[str, str]] = {
    "media-empty": ("请装纸", "out of paper"),
    "media-low": ("纸快用完了", "paper nearly out"),
    "media-jam": ("卡纸，请清理", "paper jam"),
    "cover-open": ("请合上打印头/上盖", "print head or cover open"),
    "door-open": ("请关上舱门", "door open"),
    "marker-supply-empty": ("碳带用完，请更换", "ribbon out"),
    "paused": ("打印机已暂停，请按恢复键", "printer paused"),
    "offline": ("打印机离线", "printer offline"),
    "other": ("打印机故障", "printer error"),
}


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said, normalised: a state, IPP-style reasons, and the raw reply."""

    state: State
    reasons: frozenset[str] = field(default_factory=frozenset)
    raw: bytes = b""

    @property
    def ready(self) -> bool:
        """True when a job may be sent now (idle, or busy printing an earlier job)."""
        return self.state in ("ready", "printing")

    def message(self) -> str:
        """Operator message, Chinese first: '请装纸 / out of paper'."""
        if not self.reasons:
            return {
                "ready": "就绪 / ready",
                "printing": "正在打印 / printing",
                "paused": "打印机已暂停 / printer paused",
                "offline": "打印机离线 / printer offline",
                "fault": "打印机故障 / printer error",
                "unknown": "状态未知 / status unknown",
            }[self.state]
        zh = "；".join(REASON_MESSAGES.get(r, (r, r))[0] for r in sorted(self.reasons))
        en = "; ".join(REASON_MESSAGES.get(r, (r, r))[1] for r in sorted(self.reasons))
        return f"{zh} / {en}"


UNKNOWN = PrinterStatus("unknown")


def _status(reasons: set[str], paused: bool, printing: bool, raw: bytes) -> PrinterStatus:
    faults = reasons - {"media-low"}
    if faults == {"offline"}:
        state: State = "offline"
    elif faults - {"paused"}:
        state = "fault"
    elif paused:
        state = "paused"
    elif printing:
        state = "printing"
    else:
        state = "ready"
    return PrinterStatus(state, frozenset(reasons), raw)


_TSPL_BITS = {
    0x01: "cover-open",  # print head open
    0x02: "media-jam",
    0x04: "media-empty",
    0x08: "marker-supply-empty",
    0x40: "door-open",  # Gprinter: cover open; other vendors differ (profile later)
    0x80: "other",
}


def parse_tspl(reply: bytes) -> PrinterStatus:
    """TSPL `<ESC>!?`: one byte, bit0 head open … bit4 pause, bit5 printing (printers.md §1.2)."""
    if len(reply) < 1:
        return PrinterStatus("unknown", raw=reply)
    byte = reply[-1]
    reasons = {name for bit, name in _TSPL_BITS.items() if byte & bit}
    paused = bool(byte & 0x10)
    if paused:
        reasons.add("paused")
    return _status(reasons, paused, bool(byte & 0x20), reply)


def parse_zpl_hs(reply: bytes) -> PrinterStatus:
    """ZPL `~HS`: three STX…ETX strings; b paper out, c pause, eee formats queued, o head up."""
    frames = [part.split(b"\x03")[0] for part in reply.split(b"\x02")[1:]]
    if len(frames) < 2:
        return PrinterStatus("unknown", raw=reply)
    one = frames[0].decode("ascii", "replace").split(",")
    two = frames[1].decode("ascii", "replace").split(",")
    try:
        paper_out, pause, formats = one[1] == "1", one[2] == "1", int(one[4])
        head_up, ribbon_out = two[2] == "1", two[3] == "1"
        remaining = int(two[8]) if len(two) > 8 and two[8].strip() else 0
    except (IndexError, ValueError):
        return PrinterStatus("unknown", raw=reply)
    reasons = set()
    if paper_out:
        reasons.add("media-empty")
    if head_up:
        reasons.add("cover-open")
    if ribbon_out:
        reasons.add("marker-supply-empty")
    if pause:
        reasons.add("paused")
    return _status(reasons, pause, formats > 0 or remaining > 0, reply)


def _escpos_valid(byte: int) -> bool:
    # Every DLE EOT reply has bit1 and bit4 set and bit0 and bit7 clear.
    return byte & 0x93 == 0x12


def parse_escpos(reply: bytes) -> PrinterStatus:
    """ESC/POS `DLE EOT 1`, `2`, `4` answered in order with one byte each."""
    if len(reply) < 3 or not all(_escpos_valid(b) for b in reply[-3:]):
        return PrinterStatus("unknown", raw=reply)
    printer, cause, paper = reply[-3:]
    reasons = set()
    if cause & 0x04:
        reasons.add("cover-open")
    if cause & 0x20 or paper & 0x60:
        reasons.add("media-empty")
    if cause & 0x40:
        reasons.add("other")
    if paper & 0x0C:
        reasons.add("media-low")
    if printer & 0x08 and not reasons - {"media-low"}:
        reasons.add("offline")
    return _status(reasons, False, False, reply)
