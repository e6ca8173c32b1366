"""Layouts: functions from CertificateLabelData and dpi to a positioned Label.

Look one up by name with `get_layout("item-40x30")` or build directly with
`build_label("item-40x30", data, dpi=203)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from printers.errors import UnknownNameError
from printers.layouts.certificate import certificate_80x60, certificate_100x70
from printers.layouts.item import item_40x30, item_50x30
from printers.layouts.label_60x40 import label_60x40
from printers.layouts.receipt import receipt_58, receipt_80
from printers.model import CertificateLabelData, Label, MediaKind

LayoutFunction = Callable[[CertificateLabelData, int], Label]


@dataclass(frozen=True)
class LayoutSpec:
    """A named layout with a one-line description for `printers layouts`, and the paper it
    is drawn for (its media kind and printed width), so a printer's fitness is known
    without building a label."""

    name: str
    description: str
    build: LayoutFunction
    media: MediaKind
    width_mm: float


LAYOUTS: dict[str, LayoutSpec] = {
    spec.name: spec
    for spec in (
        LayoutSpec("item-40x30", "单品标签 40×30 mm item label", item_40x30, "gap", 40),
        LayoutSpec("item-50x30", "单品标签 50×30 mm item label", item_50x30, "gap", 50),
        LayoutSpec("label-60x40", "合格证标签 60×40 mm label", label_60x40, "gap", 60),
        LayoutSpec(
            "certificate-80x60",
            "完整合格证 80×60 mm full certificate",
            certificate_80x60,
            "gap",
            80,
        ),
        LayoutSpec(
            "certificate-100x70",
            "完整合格证 100×70 mm full certificate",
            certificate_100x70,
            "gap",
            100,
        ),
        LayoutSpec("receipt-58", "58 mm 小票 continuous receipt", receipt_58, "continuous", 48),
        LayoutSpec("receipt-80", "80 mm 小票 continuous receipt", receipt_80, "continuous", 72),
    )
}

DPIS = (203, 300)


def get_layout(name: str) -> LayoutSpec:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise UnknownNameError(
            f"没有名为 {name} 的版式，可选：{', '.join(LAYOUTS)}",
            f"unknown layout {name!r}; choose one of {', '.join(LAYOUTS)}",
        ) from None


def build_label(name: str, data: CertificateLabelData, dpi: int = 203) -> Label:
    """Lay out `data` with the named layout at `dpi` (203 or 300)."""
    return get_layout(name).build(data, dpi)


__all__ = ["DPIS", "LAYOUTS", "LayoutSpec", "build_label", "get_layout"]
