"""The intake page's words for its script come from the catalogue: the verdict labels in
the page's language and, on the Chinese page only, the English line under each verdict."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient

from traceability.intake.views import VERDICT_LABELS

_MESSAGES = re.compile(r'<script id="intake-messages" type="application/json">(.*?)</script>', re.S)


def _messages(client: FlaskClient, query: str = "") -> Any:
    found = _MESSAGES.search(client.get("/intake" + query).get_data(as_text=True))
    assert found is not None
    return json.loads(found.group(1))


def test_the_chinese_page_names_verdicts_in_chinese_with_the_english_line_under_them(
    client: FlaskClient,
) -> None:
    messages = _messages(client)
    assert messages["labels"]["genuine"] == "真品"
    assert messages["labels"]["other_market"] == "已被其他市场收货"
    assert messages["second_labels"]["genuine"] == "Genuine"
    assert messages["second_labels"]["other_market"] == "Already received by another market"
    assert set(messages["labels"]) == set(messages["second_labels"]) == set(VERDICT_LABELS)
    assert messages["online"] == "在线"  # the page after the English line is Chinese again


def test_the_english_page_names_verdicts_in_english_once(client: FlaskClient) -> None:
    messages = _messages(client, "?lang=en")
    assert messages["labels"]["refused"] == "Not recorded"
    assert messages["second_labels"] == {}
