"""A county's divisions from a CSV file: the county, its townships and villages.

A production database starts without any (only the demo brings its own), and a township
supervisor is scoped to townships, so a county loads its list once (统计用区划代码:
6 digits county, 9 township, 12 village) and again when codes change. Each row's parent is
found by its code's prefix; rows already there are left as they are. Producers registered
with a division code before it was loaded are placed in it then.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from traceability.audit import record_audit
from traceability.errors import ValidationFailed
from traceability.models import Producer, Region, RegionLevel

LEVELS = {6: RegionLevel.COUNTY, 9: RegionLevel.TOWNSHIP, 12: RegionLevel.VILLAGE}
CODE_HEADERS = {"code", "代码", "区划代码", "行政区划代码", "统计用区划代码"}
NAME_HEADERS = {"name", "名称", "区划名称", "单位名称"}


@dataclass
class RegionImport:
    created: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    producers_placed: int = 0


def _parent_code(code: str) -> str | None:
    """A village's township, a township's county (by the code's prefix); a county's none."""
    return {12: code[:9], 9: code[:6]}.get(len(code))


def read_region_rows(data: bytes) -> list[tuple[int, str, str]]:
    """(line, code, name) of each row of a CSV whose header names a code and a name column."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed(
            "无法识别文件编码，请另存为 UTF-8 CSV。", "Unknown file encoding; save as UTF-8 CSV."
        )
    table = list(csv.reader(io.StringIO(text)))
    header = [cell.strip().lower() for cell in table[0]] if table else []
    code_at = next((i for i, h in enumerate(header) if h in CODE_HEADERS), None)
    name_at = next((i for i, h in enumerate(header) if h in NAME_HEADERS), None)
    if code_at is None or name_at is None:
        raise ValidationFailed(
            "首行须有“代码”和“名称”两列（或 code、name）。",
            "The first line must name a code column and a name column (代码/code, 名称/name).",
        )
    width = max(code_at, name_at) + 1
    return [
        (line, row[code_at].strip(), row[name_at].strip())
        for line, row in enumerate(table[1:], start=2)
        if any(cell.strip() for cell in row) and len(row) >= width
    ]


def import_regions(session: Session, rows: list[tuple[int, str, str]]) -> RegionImport:
    """Add the divisions not yet there; all rows or none (a ValidationFailed lists each bad
    line)."""
    current = {
        r.code: r for r in session.exec(select(Region).where(col(Region.retired).is_(False))).all()
    }
    problems: list[tuple[int, str, str]] = []  # (line, zh, en)
    wanted: dict[str, tuple[int, str]] = {}
    for line, code, name in rows:
        if not code.isdigit() or len(code) not in LEVELS or not name or len(name) > 100:
            problems.append((line, f"“{code}”“{name}”", f"{code!r} {name!r}"))
        elif code not in current:
            wanted.setdefault(code, (line, name))
    for code, (line, _) in wanted.items():
        parent = _parent_code(code)
        if parent is not None and parent not in current and parent not in wanted:
            problems.append((line, f"{code} 缺上级 {parent}", f"{code} lacks its parent {parent}"))
    if problems:
        problems.sort()
        raise ValidationFailed(
            "区划文件有误，未导入任何一行（代码须为6、9或12位数字，名称必填，上级须在文件或库中）："
            + "；".join(f"第{line}行 {zh}" for line, zh, _ in problems),
            "Nothing was imported (a code is 6, 9 or 12 digits, a name is required, the parent"
            " must be in the file or the database): "
            + "; ".join(f"line {line}: {en}" for line, _, en in problems),
            code="region_import",
        )
    report = RegionImport(present=sorted(c for _, c, _ in rows if c in current))
    for code in sorted(wanted, key=len):  # counties, then townships, then villages
        parent_code = _parent_code(code)
        region = Region(
            code=code,
            name=wanted[code][1],
            level=LEVELS[len(code)],
            parent_id=current[parent_code].id if parent_code is not None else None,
        )
        session.add(region)
        session.flush()
        current[code] = region
        report.created.append(code)
    if report.created:
        placed = session.exec(
            select(Producer).where(
                col(Producer.region_id).is_(None), col(Producer.division_code).in_(report.created)
            )
        ).all()
        for producer in placed:
            producer.region_id = current[producer.division_code or ""].id
            session.add(producer)
        report.producers_placed = len(placed)
        record_audit(
            session,
            None,
            "region.import",
            object_type="region",
            after={"created": len(report.created), "producers_placed": len(placed)},
        )
    return report
