"""The links a code's URL resolves to, as a GS1-conformant resolver lists and serves them.

A code's URL (the short `/C/` form or the GS1 Digital Link form) answers a phone with the
verdict page and a machine with the signed verdict JSON. GS1 resolvers name such targets
with link types from the GS1 Web Vocabulary, so that a retailer's app or a scanner at a
till can ask for the one it wants without knowing our URLs:

- `?linkType=linkset` (or `Accept: application/linkset+json`) lists them as an RFC 9264
  linkset whose anchor is the code's URL. Resolver standard 1.2 names the list
  `linkset`; the older `?linkType=all` still answers the same, for clients written
  against GS1 Digital Link 1.1;
- `?linkType=gs1:pip` (or the full `https://gs1.org/voc/pip`) redirects (307) to it,
  passing the rest of the query string on; a link type we do not serve redirects to the
  default link, the verdict page, as GS1's resolver standard asks.

Pure functions: the views give them the parsed code and the URLs of this request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

GS1_VOC = "https://gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
LINKSET_LINK_TYPES = frozenset({"linkset", "all"})
"""`?linkType=` values that ask for the whole list: the standard's, then the deprecated one."""
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
"""GS1's JSON-LD context for linksets, named in the resolver description file."""
LINK_HEADER = f'<?linkType=linkset>; rel="linkset"; type="{LINKSET_TYPE}"'
"""On every `/C/` answer: relative, so it names the same code URL (RFC 8288 URI-Reference)."""
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language",
    "Access-Control-Max-Age": "86400",
}
"""A code URL's answer to a CORS preflight: public data, read by any origin, no credentials."""


def linkset_header(url: str) -> str:
    """The `Link` header naming the linkset of the code at `url` (absolute, query kept)."""
    separator = "&" if "?" in url else "?"
    return f'<{url}{separator}linkType=linkset>; rel="linkset"; type="{LINKSET_TYPE}"'


PIP_TITLES = {"zh-CN": "合格证查验页面", "en": "Certificate check page"}
LANG_PARAMETER = {"zh-CN": "zh_CN", "en": "en"}


@dataclass(frozen=True)
class CodeLinks:
    """The links of one code: `url` is its URL as issued (the GS1 form keeps its `8030`)."""

    url: str

    def _with(self, **query: str) -> str:
        return self.url + ("&" if "?" in self.url else "?") + urlencode(query)

    def targets(self) -> dict[str, list[dict[str, Any]]]:
        """Link type (without the namespace) → link target objects, default link first."""
        page = {"href": self.url, "title": "合格证查验 / Certificate check", "type": "text/html"}
        return {
            "defaultLink": [{**page, "hreflang": ["zh-CN", "en"]}],
            "pip": [
                {
                    "href": self._with(lang=LANG_PARAMETER[language]),
                    "title": title,
                    "type": "text/html",
                    "hreflang": [language],
                }
                for language, title in PIP_TITLES.items()
            ],
            "certificationInfo": [
                {
                    "href": self._with(format="json"),
                    "title": "签名的查验结果与合格证 / Signed verdict and certificate (JWS)",
                    "type": "application/json",
                }
            ],
        }

    def linkset(self) -> dict[str, Any]:
        """RFC 9264 JSON: `linkset` as the sole member, one context object anchored here."""
        context: dict[str, Any] = {"anchor": self.url}
        for link_type, targets in self.targets().items():
            context[GS1_VOC + link_type] = targets
        return {"linkset": [context]}

    def target(self, link_type: str, language: str, passed_on: dict[str, str]) -> str:
        """Where `?linkType=…` redirects: that link, else the default link; query passed on."""
        name = link_type_name(link_type)
        targets = self.targets().get(name or "") or self.targets()["defaultLink"]
        chosen = next((t for t in targets if language in t.get("hreflang", [])), targets[0])
        href = str(chosen["href"])
        extra = {k: v for k, v in passed_on.items() if k not in ("linkType", "8030", "lang")}
        if not extra:
            return href
        return href + ("&" if "?" in href else "?") + urlencode(extra)


def link_type_name(value: str) -> str | None:
    """`gs1:pip`, `https://gs1.org/voc/pip` or `http://gs1.org/voc/pip` → `pip`; else None."""
    value = value.strip()
    for prefix in ("gs1:", GS1_VOC, "http://gs1.org/voc/"):
        if value.startswith(prefix) and len(value) > len(prefix):
            return value[len(prefix) :]
    return None


def resolver_description(resolver_root: str) -> dict[str, Any]:
    """`/.well-known/gs1resolver`: what this resolver serves (GS1 resolver description file)."""
    return {
        "name": "承诺达标合格证追溯服务 / Certificate of conformity traceability service",
        "resolverRoot": resolver_root.rstrip("/"),
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "jsonLdContextLocation": LINKSET_CONTEXT,
        "linkTypes": [f"gs1:{name}" for name in CodeLinks("").targets()],
    }
