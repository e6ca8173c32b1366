"""Certificate wording as versioned data (`data/certificate_templates.json`), not code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class BasisOption:
    code: str
    zh: str
    en: str
    requires_test: bool


@dataclass(frozen=True)
class CertificateTemplate:
    version: str
    title: str
    style: str
    promise: str
    promise_en: str
    basis: tuple[BasisOption, ...]

    def basis_option(self, code_or_text: str) -> BasisOption | None:
        for option in self.basis:
            if code_or_text in (option.code, option.zh, option.en):
                return option
        return None


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    text = (
        resources.files("traceability.data")
        .joinpath("certificate_templates.json")
        .read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def template(version: str) -> CertificateTemplate:
    raw = _document()["templates"][version]
    return CertificateTemplate(
        version=version,
        title=raw["title"],
        style=raw["style"],
        promise=raw["promise"],
        promise_en=raw["promise_en"],
        basis=tuple(BasisOption(**b) for b in raw["basis"]),
    )


def current_template(style: str) -> CertificateTemplate:
    return template(_document()["current"][style])


def known_versions() -> list[str]:
    return sorted(_document()["templates"])
