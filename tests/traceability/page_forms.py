"""The forms of a rendered page as a browser sees them: ids, and each form's CSRF token."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from flask.testing import FlaskClient


class PageForms(HTMLParser):
    """The ids on a page, and the CSRF token each form's action carries."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.tokens: dict[str, str] = {}
        self._action: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id") is not None:
            self.ids[str(found["id"])] += 1
        if tag == "form":
            self._action = found.get("action") or ""
        if tag == "input" and found.get("name") == "csrf_token" and self._action is not None:
            self.tokens[self._action] = str(found.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None

    def repeated_ids(self) -> list[str]:
        return sorted(i for i, n in self.ids.items() if n > 1)


def forms_on(client: FlaskClient, path: str) -> PageForms:
    response = client.get(path)
    assert response.status_code == 200, path
    return PageForms(response.get_data(as_text=True))
