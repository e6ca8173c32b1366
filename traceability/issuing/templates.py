"""Certificate wording as versioned data (`data/certificate_templates.json`), not code."""

from __future__ import annotations

import json
from collections.abc import Sequence
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


@dataclass(frozen=True)
class EnglishWording:
    """A certificate's stored wording in English, for a reader of the English pages."""

    promise: str | None  # None: the stored promise is not its template's, so no translation
    basis: list[str]


def english_wording(version: str, promise: str, basis: Sequence[str]) -> EnglishWording:
    """The English of what a certificate says, where it is its template's own wording.

    The certificate keeps the Chinese it was issued with (that is what the producer
    signed); an English reader gets the template's translation beside it, and only
    when the stored text is the template's, never a guess at other words.
    """
    try:
        known = template(version)
    except KeyError:
        return EnglishWording(None, list(basis))
    options = [known.basis_option(text) for text in basis]
    return EnglishWording(
        known.promise_en if promise == known.promise else None,
        [option.en if option else text for option, text in zip(options, basis, strict=True)],
    )
