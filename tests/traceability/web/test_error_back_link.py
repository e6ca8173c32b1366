"""An error page for what a person typed offers the way back to correct it."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.traceability.signing_in import sign_in


def test_a_refused_filter_offers_the_way_back_to_correct_it(
    app: Flask, demo: dict[str, Any]
) -> None:
    """A bad date on the overview used to leave only 返回首页: the person lost the page."""
    client = app.test_client()
    sign_in(app, client, "overseer", role="county_admin")
    came_from = "http://localhost/supervision/?from=2026-03-01"
    refused = client.get("/supervision/?from=2026-02-30", headers={"Referer": came_from})
    assert refused.status_code == 422
    assert f'href="{came_from}"' in refused.get_data(as_text=True).replace("&amp;", "&")
    # typed straight into the address bar: back to the page without the bad filter
    typed = client.get("/supervision/?from=2026-02-30").get_data(as_text=True)
    assert 'href="/supervision/">' in typed and "返回修改" in typed
    # a link from elsewhere is not followed, and a 404 has nothing to correct
    foreign = client.get("/supervision/?from=x", headers={"Referer": "https://evil.example/"})
    assert "evil.example" not in foreign.get_data(as_text=True)
    assert "返回修改" not in client.get("/admin/producers/999999").get_data(as_text=True)
