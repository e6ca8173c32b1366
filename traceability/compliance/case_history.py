"""A case's history (经过): each step as an English line, which the API has always shown,
and as an event with its values, which the pages show in their own language.

Entries written before events were stored have only their English line; `history_event`
reads those back into the same events, so old and new cases read alike.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from traceability.models.compliance import ComplianceCase
from traceability.translatable import N_

# What a history entry says, by its event, shown in the page's language: `what` keeps the
# English line every entry has had (the API shows it); `event` and `values` came later.
HISTORY_ZH = {
    "opened": N_("立案：不合格检测 T%(test)s，撤销合格证 %(revoked)s 张"),
    "opened_unlinked": N_(
        "立案：不合格检测 T%(test)s，样品未关联批次或产品，没有可撤销或限制的合格证"
    ),
    "disposal": N_("处置措施：%(disposal)s"),
    "retest_requested": N_("已申请复检"),
    "retest_passed": N_("复检 T%(test)s 合格，复检在申请期内申请：解除开具限制"),
    "retest_passed_late": N_("复检 T%(test)s 合格，但复检申请已过申请期：开具限制不变"),
    "retest_failed": N_("复检 T%(test)s 不合格：开具限制不变"),
    "investigating": N_("开始调查"),
    "closed_penalty": N_("结案：行政处罚"),
    "closed_warning": N_("结案：警告/责令改正"),
    "closed_cleared": N_("结案：排除，解除开具限制"),
}
# entries written before `event` was stored: their English `what`, read back
_OLD_HISTORY = [
    (
        re.compile(
            r"opened: failed test T(?P<test>\d+), (?P<revoked>\d+) certificate\(s\) revoked"
        ),
        "opened",
    ),
    (re.compile(r"disposal: (?P<disposal>.*)", re.S), "disposal"),
    (re.compile(r"re-test requested"), "retest_requested"),
    (
        re.compile(r"re-test T(?P<test>\d+) passed, asked inside the window; block lifted"),
        "retest_passed",
    ),
    (
        re.compile(r"re-test T(?P<test>\d+) passed, asked outside the window; block stays"),
        "retest_passed_late",
    ),
    (
        re.compile(
            r"re-test T(?P<test>\d+) failed, asked (inside|outside) the window; block stays"
        ),
        "retest_failed",
    ),
    (re.compile(r"investigating"), "investigating"),
    (re.compile(r"closed: (?P<outcome>penalty|warning|cleared)"), "closed"),
]


def note(
    case: ComplianceCase, actor: str, now: datetime, event: str, what: str, **values: Any
) -> None:
    entry = {"at": now.isoformat(), "what": what, "actor": actor, "event": event}
    case.history = [*case.history, entry | ({"values": values} if values else {})]


def history_event(entry: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The label (a `HISTORY_ZH` text) and its values of a history entry, old or new; None
    for a line this code never wrote, which is shown as stored."""
    event, values = entry.get("event"), dict(entry.get("values") or {})
    if event is None:
        what = str(entry.get("what") or "")
        for pattern, name in _OLD_HISTORY:
            if found := pattern.fullmatch(what):
                event, values = name, found.groupdict()
                break
    if event == "closed":
        event = f"closed_{values.pop('outcome', '')}"
    if event not in HISTORY_ZH:
        return None
    return HISTORY_ZH[event], values
