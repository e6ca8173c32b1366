"""A code's URL as a GS1-conformant resolver: its links listed (RFC 9264) and served by type.

Checked the way a retailer's app would use them: the linkset's anchor parses as a GS1
Digital Link with `biip` (an independent parser), and every listed link, followed,
answers what its type promises.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import biip
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.traceability.smallholder import issue_as_smallholder
from traceability.codes import gs1_digital_link_url
from traceability.lookup.linkset import GS1_VOC, link_type_name

LINKSET = "application/linkset+json"


def genuine_path(demo: dict[str, Any]) -> str:
    url = next(c["url"] for c in demo["codes"] if c["status"] == "valid")
    return "/C/" + url.split("/C/", 1)[1]


def digital_link_path(app: Flask) -> str:
    issued = issue_as_smallholder(app)
    link = gs1_digital_link_url("http://localhost", "06901234567892", issued.codes[0])
    return "/" + link.split("/", 3)[3]


def local(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def scans(client: FlaskClient, path: str) -> int:
    return int(
        client.get(path, headers={"Accept": "application/json"}).get_json()["scans"]["count"]
    )


def test_link_type_linkset_lists_the_links_of_a_digital_link_anchored_on_it(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    path = digital_link_path(app)
    response = client.get(path + "&linkType=linkset", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "Accept" in response.headers["Vary"]
    body = response.get_json()
    assert list(body) == ["linkset"] and len(body["linkset"]) == 1
    context = body["linkset"][0]
    assert context["anchor"] == "http://localhost" + path
    parsed = biip.parse(context["anchor"])
    assert parsed.gs1_digital_link_uri is not None
    assert parsed.gs1_digital_link_uri.element_strings.get(ai="01").value == "06901234567892"  # type: ignore[union-attr]
    assert set(context) == {
        "anchor",
        GS1_VOC + "defaultLink",
        GS1_VOC + "pip",
        GS1_VOC + "certificationInfo",
    }


def test_every_listed_link_answers_what_its_type_promises(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    path = genuine_path(demo)
    before = scans(client, path)
    context = client.get(path + "?linkType=linkset").get_json()["linkset"][0]
    assert context["anchor"] == "http://localhost" + path
    assert scans(client, path) == before + 1  # listing the links is not a scan
    for link_type, targets in context.items():
        if link_type == "anchor":
            continue
        for target in targets:
            answer = client.get(local(target["href"]))
            assert answer.status_code == 200, (link_type, target)
            assert answer.mimetype == target["type"]
            if target["type"] == "application/json":
                assert answer.get_json()["verdict"]["status"] == "genuine"
            if target.get("hreflang") == ["en"]:
                assert "Certificate" in answer.get_data(as_text=True)


def test_asking_for_a_linkset_by_media_type_gets_it_even_without_a_query(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    response = client.get(genuine_path(demo), headers={"Accept": LINKSET})
    assert response.status_code == 200 and response.mimetype == LINKSET
    assert "linkset" in response.get_json(force=True)


@pytest.mark.parametrize(
    ("link_type", "expected_query"),
    [
        ("gs1:certificationInfo", {"format": ["json"]}),
        ("https://gs1.org/voc/certificationInfo", {"format": ["json"]}),
        ("gs1:pip", {"lang": ["zh_CN"]}),
        ("gs1:defaultLink", {}),
        ("gs1:recallStatus", {}),  # a type we do not serve: the default link
        ("nonsense", {}),
    ],
)
def test_a_link_type_redirects_to_its_link_passing_the_query_on(
    client: FlaskClient, demo: dict[str, Any], link_type: str, expected_query: dict[str, Any]
) -> None:
    path = genuine_path(demo)
    response = client.get(path, query_string={"linkType": link_type, "utm_source": "till"})
    assert response.status_code == 307
    location = urlsplit(response.headers["Location"])
    assert location.path == path
    assert parse_qs(location.query) == {**expected_query, "utm_source": ["till"]}


def test_the_product_page_link_follows_accept_language(
    client: FlaskClient, demo: dict[str, Any]
) -> None:
    response = client.get(
        genuine_path(demo) + "?linkType=gs1:pip", headers={"Accept-Language": "en-GB,en;q=0.9"}
    )
    assert response.status_code == 307 and "lang=en" in response.headers["Location"]


def test_a_malformed_code_is_a_400_in_both_languages(client: FlaskClient) -> None:
    response = client.get("/C/NOT-A-CODE?linkType=linkset", headers={"Accept": "application/json"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["message_zh"] and body["message_en"]


def test_lookup_answers_name_their_linkset_and_may_be_read_cross_origin(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    short = client.get(genuine_path(demo), headers={"Accept": "application/json"})
    assert short.headers["Access-Control-Allow-Origin"] == "*"
    assert short.headers["Link"].startswith('<?linkType=linkset>; rel="linkset"')
    path = digital_link_path(app)
    link = client.get(path).headers["Link"]
    target = link.split(">", 1)[0].lstrip("<")
    assert "linkType=linkset" in target and "8030=" in target
    assert client.get(local(target)).get_json()["linkset"][0]["anchor"] == "http://localhost" + path


def test_the_resolver_describes_itself_at_the_well_known_address(client: FlaskClient) -> None:
    response = client.get("/.well-known/gs1resolver")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    description = response.get_json()
    assert description["resolverRoot"] == "http://localhost"
    assert description["supportedPrimaryKeys"] == ["01"]
    assert "gs1:certificationInfo" in description["linkTypes"]
    # resolver standard 1.2's names: a bare code URL redirects, it never lists by default
    assert description["linkTypeDefaultCanBeLinkset"] is False
    assert "linkTypeDefaultCanBeAll" not in description
    assert description["jsonLdContextLocation"].startswith("https://ref.gs1.org/")


def test_the_deprecated_link_type_all_still_lists_the_same_links(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """GS1 Digital Link 1.1 clients ask `linkType=all`; 1.2 renamed it `linkset`."""
    for path in (genuine_path(demo), digital_link_path(app)):
        separator = "&" if "?" in path else "?"
        standard = client.get(path + separator + "linkType=linkset")
        deprecated = client.get(path + separator + "linkType=all")
        assert standard.status_code == deprecated.status_code == 200
        assert standard.get_json() == deprecated.get_json()
        assert standard.get_json()["linkset"][0]["anchor"] == "http://localhost" + path


def test_a_redirect_to_one_link_still_names_the_linkset(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    short = genuine_path(demo)
    response = client.get(short + "?linkType=gs1:pip&utm_source=till")
    assert response.status_code == 307
    assert response.headers["Link"] == (
        f'<http://localhost{short}?linkType=linkset>; rel="linkset"; type="{LINKSET}"'
    )
    assert "Link" in response.headers["Access-Control-Expose-Headers"]
    path = digital_link_path(app)
    response = client.get(path + "&linkType=gs1:certificationInfo")
    assert response.status_code == 307
    target = response.headers["Link"].split(">", 1)[0].lstrip("<")
    assert "8030=" in target and target.endswith("&linkType=linkset")
    assert client.get(local(target)).get_json()["linkset"][0]["anchor"] == "http://localhost" + path


def test_a_cors_preflight_on_a_code_url_lets_any_origin_read_it(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """A browser asks OPTIONS before a cross-origin fetch with its own headers."""
    for path in (genuine_path(demo), digital_link_path(app)):
        before = scans(client, path)
        response = client.options(
            path,
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "accept-language",
            },
        )
        assert response.status_code == 204 and response.data == b""
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
        assert methods == {"GET", "HEAD", "OPTIONS"}
        allowed = response.headers["Access-Control-Allow-Headers"].lower()
        assert "accept" in allowed and "accept-language" in allowed
        assert scans(client, path) == before + 1  # only the GET inside `scans` counted


def test_a_head_request_answers_the_headers_without_counting_a_scan(
    app: Flask, client: FlaskClient, demo: dict[str, Any]
) -> None:
    """Link checkers and chat apps' previews send HEAD: nobody saw a verdict."""
    for path in (genuine_path(demo), digital_link_path(app)):
        before = scans(client, path)
        for _ in range(3):
            response = client.head(path)
            assert response.status_code == 200 and response.data == b""
            assert response.mimetype == "text/html"
            assert 'rel="linkset"' in response.headers["Link"]
        assert scans(client, path) == before + 1


def test_link_type_names_in_each_spelling() -> None:
    assert link_type_name("gs1:pip") == link_type_name("https://gs1.org/voc/pip") == "pip"
    assert link_type_name("http://gs1.org/voc/pip") == "pip"
    assert link_type_name("pip") is None and link_type_name("gs1:") is None
