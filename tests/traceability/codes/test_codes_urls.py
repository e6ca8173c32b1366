"""QR URL forms: the short upper-case URL and the GS1 Digital Link form (checked with biip)."""

from __future__ import annotations

import pytest
from biip.gs1_digital_link_uris import GS1DigitalLinkURI

from traceability.codes import (
    GtinError,
    ItemCode,
    code_url,
    gs1_digital_link_url,
    normalize_gtin,
    parse_scanned_text,
    qr_version,
)
from traceability.codes.alphabet import b64url_encode


def test_code_url_upper_cases_scheme_and_host(code: ItemCode) -> None:
    assert code_url("http://127.0.0.1:8000/", code) == f"HTTP://127.0.0.1:8000/C/{code.text}"
    assert code_url("https://Trace.Example.cn", code, upper=False) == (
        f"https://Trace.Example.cn/C/{code.text}"
    )


def test_code_url_keeps_the_case_of_a_base_path(code: ItemCode) -> None:
    url = code_url("https://example.cn/trace/", code)
    assert url == f"HTTPS://EXAMPLE.CN/trace/C/{code.text}"
    assert parse_scanned_text(url).code == code


def test_code_url_accepts_code_text(code: ItemCode) -> None:
    assert code_url("http://h", code.text) == code_url("http://h", code)


@pytest.mark.parametrize("base", ["ftp://x", "127.0.0.1:8000", "http://h/?q=1", "http://h/#f"])
def test_code_url_refuses_bad_base_urls(base: str, code: ItemCode) -> None:
    with pytest.raises(ValueError):
        code_url(base, code)


def test_typical_url_is_qr_version_7(code: ItemCode) -> None:
    assert qr_version(code_url("http://127.0.0.1:8000", code)) == 7
    assert qr_version(code_url("https://trace.example.gov.cn", code)) == 7


def test_base_url_of_83_characters_still_fits_version_8(code: ItemCode) -> None:
    base = "https://" + "a" * 63 + ".example.cn"  # 8 + 63 + 11 = 82 characters
    assert len(base) <= 83
    assert qr_version(code_url(base, code)) <= 8


@pytest.mark.parametrize(
    ("gtin", "gtin14"),
    [
        ("6901234567892", "06901234567892"),
        ("06901234567892", "06901234567892"),
        ("96385074", "00000096385074"),
        ("036000291452", "00036000291452"),
    ],
)
def test_gtins_are_checked_and_padded(gtin: str, gtin14: str) -> None:
    assert normalize_gtin(gtin) == gtin14


@pytest.mark.parametrize("gtin", ["6901234567893", "690123456789", "69012345678X2", "", "1" * 15])
def test_bad_gtins_are_refused(gtin: str) -> None:
    with pytest.raises(GtinError):
        normalize_gtin(gtin)


@pytest.mark.parametrize("base", ["https://trace.example.cn", "http://127.0.0.1:8000/dl"])
def test_gs1_digital_link_is_valid_for_biip(code: ItemCode, base: str) -> None:
    url = gs1_digital_link_url(base, "6901234567892", code)
    parsed = GS1DigitalLinkURI.parse(url)
    strings = {e.ai.ai: e for e in parsed.element_strings}
    assert set(strings) == {"01", "10", "21", "8030"}
    assert strings["01"].value == "06901234567892"
    assert strings["01"].gtin is not None and strings["01"].gtin_error is None
    assert strings["10"].value == code.group
    assert strings["21"].value == code.item
    assert strings["8030"].value == code.kid + b64url_encode(code.signature)
    assert len(strings["8030"].value) == 90


def test_gs1_digital_link_parses_back_to_the_same_code(code: ItemCode) -> None:
    url = gs1_digital_link_url("https://trace.example.cn", "6901234567892", code)
    parsed = parse_scanned_text(url + "&linkType=gs1:pip")
    assert (parsed.code, parsed.form, parsed.gtin) == (code, "gs1", "06901234567892")


def test_gs1_form_fits_version_8_with_an_upper_case_host(code: ItemCode) -> None:
    assert qr_version(gs1_digital_link_url("https://trace.example.cn", "6901234567892", code)) <= 8
