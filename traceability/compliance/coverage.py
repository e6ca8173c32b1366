"""Test what you spray (用什么药、检什么药): do the linked tests cover the drugs used?

Under the 2025 rules a certificate whose basis is a test promises that the pesticides and
veterinary drugs actually used were tested for. A passing test covers a recorded substance
when a gold strip's target or a lab report's item names it, or when it tests the
substance's class: enzyme inhibition (GB/T 5009.199, NY/T 448) detects organophosphates
and carbamates and nothing else, and a strip's target or a lab item may name a class
(有机磷类, 喹诺酮类, 瘦肉精). Class membership is chemistry and pharmacology, shipped with
its source in `data/reference/pesticide_classes.csv` and `veterinary_drug_classes.csv`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from traceability.compliance.names import names_in, names_inside, normalise
from traceability.models.compliance import InputKind, InputUse, RapidTest, TestMethod

ORGANOPHOSPHATE, CARBAMATE, PYRETHROID = "organophosphate", "carbamate", "pyrethroid"
QUINOLONE, SULFONAMIDE, TETRACYCLINE = "quinolone", "sulfonamide", "tetracycline"
AMPHENICOL, BETA_AGONIST, NITROFURAN = "amphenicol", "beta_agonist", "nitrofuran"
CLASS_ZH = {
    ORGANOPHOSPHATE: "有机磷类",
    CARBAMATE: "氨基甲酸酯类",
    PYRETHROID: "拟除虫菊酯类",
    QUINOLONE: "喹诺酮类",
    SULFONAMIDE: "磺胺类",
    TETRACYCLINE: "四环素类",
    AMPHENICOL: "酰胺醇类",
    BETA_AGONIST: "β-受体激动剂类（瘦肉精）",
    NITROFURAN: "硝基呋喃类",
}
CLASS_EN = {
    ORGANOPHOSPHATE: "organophosphates",
    CARBAMATE: "carbamates",
    PYRETHROID: "pyrethroids",
    QUINOLONE: "quinolones",
    SULFONAMIDE: "sulfonamides",
    TETRACYCLINE: "tetracyclines",
    AMPHENICOL: "amphenicols",
    BETA_AGONIST: "beta-agonists",
    NITROFURAN: "nitrofurans",
}
# The words by which a strip's target or a lab item names a whole class ("有机磷和氨基甲酸酯类
# 农药", "喹诺酮类"), matched after `normalise` and with dashes dropped ("β-受体激动剂"). None
# may be found in a single substance's name: 四环素 and 氯霉素 are substances, 磺胺嘧啶 holds
# 磺胺, chloramphenicol holds amphenicol and nitrofurantoin nitrofuran.
CLASS_WORDS = {
    ORGANOPHOSPHATE: ("有机磷", "organophosph"),
    CARBAMATE: ("氨基甲酸酯", "carbamate"),
    PYRETHROID: ("拟除虫菊酯", "菊酯类", "pyrethroid"),
    QUINOLONE: ("喹诺酮", "quinolone"),
    SULFONAMIDE: ("磺胺类", "sulfonamide", "sulphonamide"),
    TETRACYCLINE: ("四环素类", "tetracyclines"),
    AMPHENICOL: ("酰胺醇", "氯霉素类", "amphenicols"),
    BETA_AGONIST: (
        "瘦肉精",
        "β受体激动剂",
        "β2受体激动剂",
        "β兴奋剂",
        "betaagonist",
        "beta2agonist",
        "βagonist",
        "β2agonist",
    ),
    NITROFURAN: ("硝基呋喃", "nitrofurans"),
}
# dithiocarbamates are fungicides (代森锰锌 …), not carbamate insecticides
NOT_CLASS_WORDS = ("二硫代氨基甲酸", "dithiocarbamat")
ENZYME_CLASSES = frozenset({ORGANOPHOSPHATE, CARBAMATE})  # GB/T 5009.199 scope
SPRAYED_KINDS = frozenset({InputKind.PESTICIDE.value, InputKind.VETERINARY.value})


@dataclass(frozen=True)
class ClassMember:
    """A substance of a class, as listed in pesticide_classes.csv or veterinary_drug_classes.csv."""

    key: str
    names: frozenset[str]
    en: str
    chemical_class: str


CLASS_FILES = ("pesticide_classes.csv", "veterinary_drug_classes.csv")


def _class_rows() -> Iterator[dict[str, str]]:
    reference = resources.files("traceability.data").joinpath("reference")
    for name in CLASS_FILES:
        yield from csv.DictReader(io.StringIO(reference.joinpath(name).read_text("utf-8")))


@lru_cache(maxsize=1)
def class_members() -> tuple[ClassMember, ...]:
    members = []
    for row in _class_rows():
        zh = row["substance_zh"].strip()
        members.append(
            ClassMember(
                key=normalise(re.sub(r"（.*?）|\(.*?\)", "", zh)),
                names=frozenset(names_in(zh, row["substance_en"])),
                en=re.sub(r"\s*\(.*?\)", "", row["substance_en"].strip()),
                chemical_class=row["class"].strip(),
            )
        )
    return tuple(members)


@lru_cache(maxsize=1)
def _members_by_name() -> dict[str, ClassMember]:
    return {name: member for member in class_members() for name in member.names}


@dataclass(frozen=True)
class Sprayed:
    """A pesticide or veterinary drug recorded for the batch, as the check knows it."""

    zh: str  # as recorded
    en: str  # the listed English name, else as recorded
    keys: frozenset[str]
    chemical_class: str | None


@dataclass
class Coverage:
    """What a set of passing tests tested for: substances by name, and whole classes."""

    keys: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)

    def covers(self, substance: Sprayed) -> bool:
        return bool(substance.keys & self.keys) or substance.chemical_class in self.classes


# Between the names of a list, a mixture ("毒死蜱·吡虫啉") or a combined card ("毒死蜱/吡虫啉",
# "克百威+氧乐果"); a comma between digits is part of a name (2,4-滴丁酯), not a list.
_SEPARATORS = re.compile(r"[·・•、;；/／+＋]|(?<!\d)[,，]|[,，](?!\d)")


def _parts(text: str) -> list[str]:
    """The names a list, mixture or combined card is made of, each on its own."""
    return [p for p in _SEPARATORS.split(text) if p.strip()]


def _key(name: str) -> str:
    member = _members_by_name().get(name)
    return member.key if member else name


def _classes_named(item: str) -> set[str]:
    text = re.sub(r"[-‐‑–—－]", "", normalise(item))
    for word in NOT_CLASS_WORDS:
        text = text.replace(word, "|")
    return {c for c, words in CLASS_WORDS.items() if any(w in text for w in words)}


def _classes_tested(test: RapidTest) -> set[str]:
    if test.method == TestMethod.ENZYME_INHIBITION:
        return set(ENZYME_CLASSES)
    # a class strip (喹诺酮类, 瘦肉精) as a lab item naming the class; a strip for one
    # substance (氯霉素, 克仑特罗) names no class and covers that substance only
    if test.method == TestMethod.COLLOIDAL_GOLD:
        return _classes_named(test.target)
    if test.method == TestMethod.LAB_REPORT:
        return {c for item in test.items for c in _classes_named(item)}
    return set()


def _named_parts(test: RapidTest) -> list[str]:
    """The parts of a gold strip's target or a lab report's items, each naming a substance."""
    if test.method == TestMethod.COLLOIDAL_GOLD:
        return _parts(test.target)
    if test.method == TestMethod.LAB_REPORT:
        return [part for item in test.items for part in _parts(item)]
    return []


def coverage_of(tests: Iterable[RapidTest]) -> Coverage:
    """What the tests cover (the caller passes passing tests only)."""
    coverage = Coverage()
    for test in tests:
        coverage.classes |= _classes_tested(test)
        coverage.keys |= {_key(n) for part in _named_parts(test) for n in names_in(part)}
    return coverage


def _sprayed(name: str, member: ClassMember | None, keys: Iterable[str]) -> Sprayed:
    return Sprayed(
        zh=name,
        en=member.en if member else name,
        keys=frozenset(keys),
        chemical_class=member.chemical_class if member else None,
    )


def _identify(substance: str, trade_name: str, tested: Iterable[str]) -> list[Sprayed]:
    """The substances an entry names: each part of a mixture ("毒死蜱·吡虫啉") as a listed
    member, else a known or tested name inside it ("40%氧乐果乳油"), else as written; and any
    known or tested name inside the trade name besides."""
    members = _members_by_name()
    lexicon = {**{k: k for k in tested}, **{n: m.key for n, m in members.items()}}

    def inside(text: str) -> list[Sprayed]:
        return [
            _sprayed(lexicon[n] if n in members else n, members.get(n), {lexicon[n]})
            for n in names_inside(text, lexicon)
        ]

    found: list[Sprayed] = []
    for part in _SEPARATORS.split(substance):
        own = names_in(part) | {normalise(part)} - {""}
        member = next((members[n] for n in sorted(own) if n in members), None)
        if member is not None:
            found.append(_sprayed(part.strip(), member, {member.key}))
        elif own:
            found += inside(part) or [_sprayed(part.strip(), None, own)]
    return found + inside(trade_name)


def sprayed(entries: Iterable[InputUse], tested: Iterable[str] = ()) -> list[Sprayed]:
    """The pesticides and veterinary drugs among the entries, each once, in order of use."""
    tested = set(tested)
    seen: set[frozenset[str]] = set()
    found = []
    for entry in entries:
        if entry.kind not in SPRAYED_KINDS:
            continue
        for substance in _identify(entry.substance, entry.product_name, tested):
            if substance.keys in seen:
                continue
            seen.add(substance.keys)
            found.append(substance)
    return found


def uncovered(
    entries: Iterable[InputUse], tests: Iterable[RapidTest]
) -> tuple[list[Sprayed], list[Sprayed]]:
    """The substances used, and those of them that no test covers."""
    coverage = coverage_of(tests)
    used = sprayed(entries, coverage.keys)
    return used, [s for s in used if not coverage.covers(s)]


@dataclass(frozen=True)
class Covered:
    """A class or a substance a test covers, as a page names it."""

    zh: str
    en: str


def covered_by(test: RapidTest) -> list[Covered]:
    """What one test covers, to show with it, so a producer sees before issuing whether it
    will back a tested basis: the classes it tests, then each substance its target or items
    name that the gate would count as covered in a record of that name (as written, with its
    listed English name). A part naming a class is shown as the class, if the test covers it."""
    coverage = coverage_of([test])
    shown = [Covered(CLASS_ZH[c], CLASS_EN[c]) for c in CLASS_ZH if c in coverage.classes]
    for part in _named_parts(test):
        read = _identify(part, "", coverage.keys)
        if _classes_named(part) or not read or not all(coverage.covers(s) for s in read):
            continue
        zh = part.strip()
        listed = [s.en for s in read if s.chemical_class is not None]
        covered = Covered(zh, ", ".join(listed) if len(listed) == len(read) else zh)
        if covered not in shown:
            shown.append(covered)
    return shown


def strip_hint(substances: list[Sprayed], card: str = "试纸条") -> tuple[str, str]:
    """Which gold strip would test these substances, in zh and en: their own names, and
    the class strips that cover them (a station is likelier to stock 喹诺酮类 cards than
    恩诺沙星 ones). Organophosphates and carbamates go without: the enzyme-inhibition
    card, offered beside this hint, is the usual test for them."""
    names_zh, names_en = "、".join(s.zh for s in substances), ", ".join(s.en for s in substances)
    classes = list(
        dict.fromkeys(
            s.chemical_class
            for s in substances
            if s.chemical_class and s.chemical_class not in ENZYME_CLASSES
        )
    )
    if not classes:
        return f"{names_zh}{card}", f"a gold strip for {names_en}"
    return (
        f"{names_zh}{card}（或{'、'.join(CLASS_ZH[c] for c in classes)}{card}）",
        f"a gold strip for {names_en} (or for {', '.join(CLASS_EN[c] for c in classes)})",
    )


def which_test_covers(entry: InputUse) -> tuple[str, str] | None:
    """Which test would cover this drug, said when the use is recorded (zh, en).

    A producer who sprays a neonicotinoid learns at the record book, not at the kiosk on
    market day, that the usual enzyme-inhibition card will not back a tested basis.
    """
    if entry.kind not in SPRAYED_KINDS:
        return None
    found = sprayed([entry])
    if not found:
        return None
    zh = "提示：承诺依据选检测时，须检这次用的药。"
    en = "Note: if the certificate's basis is a test, it must cover the drugs used. "
    others = [s for s in found if s.chemical_class not in ENZYME_CLASSES]
    if not others:
        return (
            f"{zh}{'、'.join(s.zh for s in found)}可用酶抑制率法快检。",
            f"{en}{', '.join(s.en for s in found)}: covered by an enzyme-inhibition rapid test.",
        )
    names_zh, names_en = "、".join(s.zh for s in others), ", ".join(s.en for s in others)
    strip_zh, strip_en = strip_hint(others)
    return (
        f"{zh}{names_zh}不能用酶抑制率法快检，要用{strip_zh}或送检。",
        f"{en}An enzyme-inhibition rapid test does not cover {names_en}: use {strip_en} "
        "or a lab report that names it.",
    )
