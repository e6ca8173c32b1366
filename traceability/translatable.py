"""`N_`: marks a Chinese label for the translation catalogue where it is defined.

Domain modules keep their labels (test methods, results, case states, list kinds) as plain
Chinese strings, because the Chinese half of every zh/en message is built from them. Pages
translate the same text where they show it (`{{ _(method_zh[t.method]) }}`, `_l(label)` in
form choices); `pybabel extract -k N_` (Makefile) puts the marked texts in the catalogue.
This is gettext's own idiom for text defined in one place and translated in another.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """`message` unchanged: only pybabel reads the mark."""
    return message
