"""The English catalogue covers every string in the code and is compiled and shipped."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from traceability.db import get_engine, session_scope
from traceability.demo import load_demo

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "traceability" / "translations"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
# the same keywords as `make translations` (pybabel extract -k … adds to the defaults)
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "N_": None}
HAN = re.compile(r"[\u3400-\u9fff]")
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def extracted_messages() -> list[tuple[str, str]]:
    """(file, msgid) of every string marked for translation in the code and templates."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return [
        (filename, message if isinstance(message, str) else message[0])
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS
        )
    ]


def extracted_msgids() -> set[str]:
    return {msgid for _filename, msgid in extracted_messages()}


class AnyValue(dict[str, str]):
    """The variables a template's `_()` may pass: every name has a value."""

    def __missing__(self, key: str) -> str:
        return "1"


def english_catalog() -> Catalog:
    with EN_PO.open("rb") as handle:
        return read_po(handle, locale="en")


def test_every_string_in_the_code_has_an_english_translation() -> None:
    msgids = extracted_msgids()
    assert len(msgids) > 100
    catalog = english_catalog()
    missing = sorted(m for m in msgids if m not in catalog)
    assert not missing, f"not in messages.po (run `make translations`): {missing}"
    untranslated = sorted(m for m in msgids if not catalog[m].string or catalog[m].fuzzy)
    assert not untranslated, f"empty or fuzzy English msgstr: {untranslated}"
    for msgid in msgids:
        english = catalog[msgid].string
        assert isinstance(english, str)
        assert sorted(PLACEHOLDER.findall(english)) == sorted(PLACEHOLDER.findall(msgid)), msgid
        assert not HAN.search(english.replace("承诺达标合格证", "")), msgid


def test_template_strings_survive_jinjas_percent_formatting_in_both_languages() -> None:
    """Jinja's new-style gettext always applies `%` to the text, variables or none: a bare
    "80%" in a template's string (or its English) made the whole page a 500. In templates a
    percent sign is written `%%`."""
    catalog = english_catalog()
    broken = []
    for filename, msgid in extracted_messages():
        if not filename.endswith(".html"):
            continue
        english = catalog[msgid].string if msgid in catalog else msgid
        for text in (msgid, english if isinstance(english, str) else msgid):
            try:
                text % AnyValue()
            except (TypeError, ValueError) as exc:
                broken.append(f"{filename}: {text[:60]!r}: {exc}")
    assert broken == []


def test_compiled_catalogue_is_up_to_date_with_the_po() -> None:
    compiled = io.BytesIO()
    write_mo(compiled, english_catalog())
    assert EN_MO.read_bytes() == compiled.getvalue(), "run `make translations` and commit the .mo"
    with EN_MO.open("rb") as handle:
        shipped = read_mo(handle)
    assert {m.id: m.string for m in shipped if m.id} == {
        m.id: m.string for m in english_catalog() if m.id
    }


def _h1_and_brand(page: str) -> str:
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    brand = re.search(r'<a class="brand"[^>]*>(.*?)</a>', page, re.S)
    assert h1 and brand
    return h1.group(1) + " " + brand.group(1)


def test_home_page_is_english_on_request_and_chinese_by_default(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context(), session_scope(get_engine()) as session:
        load_demo(session, app.config)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "consumers and markets scan the code to check that it is genuine" in english
    assert "Certificate of Conformity Traceability Service" in english
    assert not HAN.search(_h1_and_brand(english))

    # a fresh client: no `lang` cookie left over from the English request
    chinese = app.test_client().get("/").get_data(as_text=True)
    assert "承诺达标合格证与一品一码" in _h1_and_brand(chinese)
    assert "承诺达标合格证追溯服务" in _h1_and_brand(chinese)
    assert "消费者和市场扫码即可查验真伪" in chinese


def test_labels_defined_in_the_domain_and_shown_on_pages_are_in_the_catalogue() -> None:
    """Methods, results, case states, input and list kinds, import outcomes, producer kinds,
    area units and staff roles: the domain keeps
    them in Chinese for its messages, pages translate them where they show them (`N_`)."""
    from traceability.compliance.cases import OUTCOME_ZH, STATE_ZH
    from traceability.compliance.records import INPUT_KIND_ZH
    from traceability.compliance.reference import KIND_ZH
    from traceability.compliance.testing import METHOD_ZH, RESULT_ZH
    from traceability.models.producer import PRODUCER_KIND_ZH
    from traceability.models.production_base import AREA_UNIT_ZH
    from traceability.registry.importing import STATUS_ZH
    from traceability.web.admin.accounts import ROLE_ZH

    english = {m.id: m.string for m in read_po(EN_PO.open("rb")) if m.id}
    labels = [
        label
        for table in (
            OUTCOME_ZH,
            STATE_ZH,
            INPUT_KIND_ZH,
            KIND_ZH,
            METHOD_ZH,
            RESULT_ZH,
            STATUS_ZH,
            PRODUCER_KIND_ZH,
            AREA_UNIT_ZH,
            ROLE_ZH,
        )
        for label in table.values()
    ]
    untranslated = [label for label in labels if not english.get(label)]
    assert untranslated == []
