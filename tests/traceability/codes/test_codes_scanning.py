"""What handheld scanners type: whitespace, case flips, wrong hosts, garbage."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.codes import (
    MAX_SCAN_LENGTH,
    ItemCode,
    ScanError,
    code_url,
    gs1_digital_link_url,
    parse_scanned_text,
)

BASE = "http://127.0.0.1:8000"


@pytest.mark.parametrize("wrap", ["{}", " {} ", "{}\r\n", "\t{}\n", "{}\r"])
def test_stray_whitespace_is_trimmed(code: ItemCode, wrap: str) -> None:
    assert parse_scanned_text(wrap.format(code_url(BASE, code))).code == code


def test_url_and_bare_code_in_any_case(code: ItemCode) -> None:
    url = code_url(BASE, code)
    for text in (url, url.lower(), url.swapcase(), code.text, code.text.lower()):
        assert parse_scanned_text(text).code == code


def test_caps_lock_inverted_gs1_url_is_recovered(code: ItemCode) -> None:
    url = gs1_digital_link_url(BASE, "6901234567892", code)
    assert parse_scanned_text(url.swapcase()).code == code


def test_host_check(code: ItemCode) -> None:
    url = code_url(BASE, code)
    assert parse_scanned_text(url, accepted_hosts=["127.0.0.1:8000"]).host == "127.0.0.1:8000"
    for hosts in (["127.0.0.1"], ["example.cn"], []):
        with pytest.raises(ScanError) as err:
            parse_scanned_text(url, accepted_hosts=hosts)
        assert err.value.code == "wrong_host"
        assert err.value.message_zh and err.value.message_en


def test_oversized_input_is_too_long() -> None:
    with pytest.raises(ScanError) as err:
        parse_scanned_text("A" * (MAX_SCAN_LENGTH + 1))
    assert err.value.code == "too_long"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "https://127.0.0.1:8000/",
        "https://127.0.0.1:8000/C/",
        "ftp://127.0.0.1/C/ABC",
        "http://user@127.0.0.1:8000/C/X",
        "http://127.0.0.1:99999/C/X",
        "http://[::1/C/X",
        "javascript:alert(1)",
        "http://127.0.0.1:8000/C/CODE#frag",
        "http://h/01/06901234567892/10/DEMOGROUPA/21/ITEMSERIAL234567",
        "http://h/01/06901234567892/10/DEMOGROUPA/21/ITEMSERIAL234567?8030=x",
    ],
)
def test_garbage_is_malformed(text: str) -> None:
    with pytest.raises(ScanError) as err:
        parse_scanned_text(text)
    assert err.value.code == "malformed"


def test_inner_space_is_malformed(code: ItemCode) -> None:
    text = code.text[:50] + " " + code.text[51:]
    with pytest.raises(ScanError):
        parse_scanned_text(text)


@given(st.text(max_size=600))
def test_any_text_parses_or_raises_a_scan_error(text: str) -> None:
    try:
        parse_scanned_text(text)
    except ScanError as err:
        assert err.code in {"malformed", "too_long", "non_canonical", "invalid_gtin"}


_URLISH = st.text(alphabet="HTPSCc:/.?=&%#@[]018AZaz_-2345 \r\n", max_size=300)


@given(_URLISH)
def test_url_like_text_parses_or_raises_a_scan_error(text: str) -> None:
    with contextlib.suppress(ScanError):
        parse_scanned_text("http://127.0.0.1:8000/" + text, accepted_hosts=["127.0.0.1:8000"])
