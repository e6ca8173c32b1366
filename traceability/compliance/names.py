"""How the compliance checks compare substance names, so every check reads them alike.

Names are compared after `normalise` (full-width brackets, spaces, case); a name with
another in brackets answers to both: 呋喃丹（克百威） is also 呋喃丹 and 克百威.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("（", "(").replace("）", ")")).lower()


def names_in(*texts: str) -> set[str]:
    """The names the texts answer to: each whole, outside its brackets, and inside them."""
    names: set[str] = set()
    for text in texts:
        text = normalise(text)
        if not text:
            continue
        names.add(text)
        outer = re.sub(r"\(.*?\)", "", text).strip()
        if outer:
            names.add(outer)
        for inner in re.findall(r"\((.*?)\)", text):
            names.update(p.strip() for p in re.split(r"[、;,，]", inner) if p.strip())
        if ";" in outer:
            names.update(p.strip() for p in outer.split(";") if p.strip())
    return {n for n in names if len(n) >= 2}


def names_inside(text: str, names: Iterable[str]) -> list[str]:
    """The names written inside a longer text (a trade name, "40%氧乐果乳油"), longest first.

    A found name is taken out of the text before shorter ones are looked for, so 氧乐果 is
    not also read as 乐果; short Latin names (DDT, 1605) are only matched whole.
    """
    text = normalise(text)
    found: list[str] = []
    for name in sorted(set(names), key=lambda n: (-len(n), n)):
        if len(name) < 2 or (name.isascii() and len(name) < 5):
            continue
        if name in text:
            found.append(name)
            text = text.replace(name, "|")
    return found
