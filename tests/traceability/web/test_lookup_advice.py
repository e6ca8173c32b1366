"""A shopper told "revoked" or "not genuine" is also told what to do, and whom to call.

The verdict alone leaves a shopper with produce in hand guessing. Every verdict but
"genuine" (and a code that looks copied) says: do not buy or eat it, keep the produce,
label and receipt, tell the seller or market, or call the complaints line: 12315, the
market regulators' national line, or the number the county sets in `REPORT_HOTLINE`.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.web.code_paths import code_paths
from traceability import create_app
from traceability.config import SettingError


def _advice(page: str) -> str:
    """The advice section of a lookup page ('' when there is none)."""
    start = page.find('<section class="advice"')
    return "" if start < 0 else page[start : page.index("</section>", start)]


def test_a_genuine_code_gives_no_advice(client: FlaskClient, demo: dict[str, Any]) -> None:
    page = client.get(code_paths(demo)["genuine"]).get_data(as_text=True)
    assert 'class="advice"' not in page and "12315" not in page


def test_a_revoked_code_says_not_to_buy_or_eat_and_whom_to_call(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    page = client.get(code_paths(demo)["revoked"]).get_data(as_text=True)
    advice = _advice(page)
    assert 'data-advice="revoked"' in advice and "请不要购买或食用" in advice
    assert "保留商品、标签和购物凭证" in advice
    assert '<a class="hotline" href="tel:12315">12315</a>' in advice
    # the advice comes right after the verdict, before the certificate's details
    assert page.index('data-verdict="revoked"') < page.index("怎么办") < page.index("产品名称")


@pytest.mark.parametrize("kind", ["altered", "malformed"])
def test_a_forged_or_unreadable_code_says_the_label_may_be_forged(
    client: FlaskClient, demo: dict[str, Any], kind: str
) -> None:
    response = client.get(code_paths(demo)[kind])
    advice = _advice(response.get_data(as_text=True))
    assert "标签可能是伪造或被篡改的" in advice and "请不要购买" in advice
    assert 'href="tel:12315"' in advice


def test_the_advice_is_in_english_too(client: FlaskClient, demo: dict[str, Any]) -> None:
    advice = _advice(client.get(code_paths(demo)["revoked"] + "?lang=en").get_data(as_text=True))
    assert "What to do" in advice and "Do not buy or eat it" in advice
    assert "call the complaints line" in advice and "12315" in advice


def test_a_code_that_looks_copied_asks_the_shopper_to_compare_and_call(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    genuine = code_paths(demo)["genuine"]
    for _ in range(21):
        client.get(genuine, headers={"Accept": "application/json"})
    page = client.get(genuine).get_data(as_text=True)
    warning = page[page.index('class="scan-warning"') :]
    assert "可能被复制" in warning and "产品名称、开具主体和日期" in warning
    assert 'href="tel:12315"' in warning


def test_the_county_can_name_its_own_hotline(
    app_config: dict[str, object], demo: dict[str, Any]
) -> None:
    county = create_app({**app_config, "REPORT_HOTLINE": "0379-6523 1234"})
    try:
        page = county.test_client().get(code_paths(demo)["revoked"]).get_data(as_text=True)
    finally:
        county.extensions["scan_buffer"].close()  # its scan is written before the engine goes
        county.extensions["db_engine"].dispose()
    assert '<a class="hotline" href="tel:037965231234">0379-6523 1234</a>' in _advice(page)


@pytest.mark.parametrize("number", ["call us", "12315; <script>", "1", ""])
def test_a_hotline_that_is_not_a_phone_number_is_refused_at_start(
    app_config: dict[str, object], number: str
) -> None:
    with pytest.raises(SettingError, match="REPORT_HOTLINE"):
        create_app({**app_config, "REPORT_HOTLINE": number})


def test_the_fast_path_and_flask_serve_the_same_advice(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    revoked = code_paths(demo)["revoked"]
    fast = _advice(client.get(revoked).get_data(as_text=True))
    app.config["LOOKUP_FAST_PATH"] = False
    through_flask = _advice(client.get(revoked).get_data(as_text=True))
    assert fast and fast == through_flask


def test_an_unreadable_link_asks_to_scan_the_label_again(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    """A cut-off link is more often a bad copy or a misread than a forgery: try again first."""
    advice = _advice(client.get(code_paths(demo)["malformed"]).get_data(as_text=True))
    assert "请用手机相机直接扫描标签上的二维码再试一次" in advice


def test_a_code_under_an_unknown_key_is_called_not_ours_not_a_key_update(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    """The offline verifier's "update the published keys" is no advice to a shopper: the
    service holds every key it published, so an unknown one means the code is not its own."""
    from traceability.codes import sign_item_code, signing_key_from_seed

    genuine = code_paths(demo)["genuine"]
    group = genuine.split("/C/", 1)[1][:10]
    foreign = sign_item_code(group, "A" * 16, signing_key_from_seed(bytes(range(32))))
    answer = client.get("/C/" + foreign.text + "?format=json").get_json()["verdict"]
    assert answer["status"] == "unknown_key"
    assert "不是本系统签发的" in answer["message_zh"] and "更新" not in answer["message_zh"]
    assert "not issued by this service" in answer["message_en"]
    page = client.get("/C/" + foreign.text).get_data(as_text=True)
    assert "可能来自其他地区" in page and "请更新公钥列表" not in page
