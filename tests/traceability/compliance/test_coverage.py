"""Test what you spray (用什么药、检什么药): a tested basis needs tests covering the drugs used."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, datetime
from importlib.resources import files
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.traceability.compliance.conftest import (
    add_input,
    add_test,
    certificates,
    count,
    issue_body,
    refusals,
)
from traceability.compliance.coverage import (
    CLASS_ZH,
    Covered,
    class_members,
    coverage_of,
    covered_by,
    uncovered,
)
from traceability.compliance.names import names_in
from traceability.db import get_engine
from traceability.models import Batch, ItemCode
from traceability.models.compliance import InputUse, RapidTest


def gold_strip(app: Flask, batch: Batch, target: str) -> int:
    return add_test(app, batch, method="colloidal_gold", target=target, result="negative")


def enzyme(app: Flask, batch: Batch) -> int:
    return add_test(app, batch, method="enzyme_inhibition", inhibition_rate="8.0")


REPORT_NUMBERS = itertools.count(118)


def lab_report(app: Flask, batch: Batch, *items: str) -> int:
    """A passing lab report of its own number (the same number twice is one report)."""
    return add_test(
        app,
        batch,
        method="lab_report",
        lab_name="县农产品质量安全检测站",
        report_no=f"JC-2026-{next(REPORT_NUMBERS)}",
        items=list(items),
        result="pass",
    )


def issue(client: FlaskClient, make_token: Any, batch: Batch, *tests: int, **extra: Any) -> Any:
    body = issue_body(batch, basis=["self_test"], tests=list(tests), **extra)
    return client.post("/api/v1/certificates", json=body, headers=make_token())


def test_a_gold_strip_for_the_sprayed_substance_covers_it(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="吡虫啉")
    response = issue(client, make_token, cucumbers, gold_strip(app, cucumbers, "吡虫啉"))
    assert response.status_code == 201, response.get_json()


def test_enzyme_inhibition_covers_an_organophosphate_and_a_carbamate(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="辛硫磷")
    add_input(app, cucumbers, substance="异丙威")
    response = issue(client, make_token, cucumbers, enzyme(app, cucumbers))
    assert response.status_code == 201, response.get_json()


def test_enzyme_inhibition_does_not_cover_a_neonicotinoid(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="辛硫磷")
    add_input(app, cucumbers, substance="吡虫啉")
    response = issue(client, make_token, cucumbers, enzyme(app, cucumbers))
    body = response.get_json()
    assert response.status_code == 422 and body["error"] == "test_not_covering"
    assert "所关联的检测未覆盖：吡虫啉。" in body["message_zh"]
    assert "do not cover 吡虫啉" in body["message_en"]


@pytest.mark.parametrize("item", ["辛硫磷", "phoxim", "有机磷类农药", "有机磷和氨基甲酸酯类"])
def test_a_lab_report_item_naming_the_substance_or_its_class_covers_it(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any, item: str
) -> None:
    add_input(app, cucumbers, substance="辛硫磷")
    response = issue(client, make_token, cucumbers, lab_report(app, cucumbers, "铅", item))
    assert response.status_code == 201, response.get_json()


def test_a_lab_report_of_another_class_does_not_cover(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="高效氯氰菊酯")
    test_id = lab_report(app, cucumbers, "有机磷类", "氨基甲酸酯类")
    assert issue(client, make_token, cucumbers, test_id).get_json()["error"] == "test_not_covering"
    covered = issue(client, make_token, cucumbers, lab_report(app, cucumbers, "拟除虫菊酯类"))
    assert covered.status_code == 201, covered.get_json()


def enrofloxacin(app: Flask, batch: Batch) -> None:
    add_input(
        app, batch, kind="veterinary", substance="恩诺沙星", dose="2.5 mg/kg", method="肌肉注射"
    )


def test_a_quinolone_strip_covers_enrofloxacin(
    client: FlaskClient, app: Flask, pigs: Batch, make_token: Any
) -> None:
    enrofloxacin(app, pigs)
    response = issue(client, make_token, pigs, gold_strip(app, pigs, "喹诺酮类"))
    assert response.status_code == 201, response.get_json()


def test_a_sulfonamide_strip_does_not_cover_enrofloxacin(
    client: FlaskClient, app: Flask, pigs: Batch, make_token: Any
) -> None:
    enrofloxacin(app, pigs)
    body = issue(client, make_token, pigs, gold_strip(app, pigs, "磺胺类")).get_json()
    assert body["error"] == "test_not_covering"
    assert "所关联的检测未覆盖：恩诺沙星。" in body["message_zh"]
    assert "the linked tests do not cover enrofloxacin." in body["message_en"]
    # the hint names the class card a station stocks, not only the drug's own
    assert "（如恩诺沙星胶体金试纸条（或喹诺酮类胶体金试纸条）或检测报告）" in body["message_zh"]
    assert (
        "(such as a gold strip for enrofloxacin (or for quinolones) or a lab report)"
        in (body["message_en"])
    )


def test_an_uncovered_substance_is_refused_recorded_and_nothing_issued(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="辛硫磷")
    add_input(app, cucumbers, substance="吡虫啉")
    test_id = gold_strip(app, cucumbers, "辛硫磷")
    before = certificates(app), count(app, ItemCode)
    body = issue(client, make_token, cucumbers, test_id).get_json()
    assert body["message_zh"] == (
        "不能开具合格证：本批次使用过 辛硫磷、吡虫啉，所关联的检测未覆盖：吡虫啉。"
        "请关联覆盖这些药物的检测（如吡虫啉胶体金试纸条或检测报告），或改选承诺依据。"
    )
    assert body["message_en"] == (
        "Cannot issue: this batch was treated with phoxim, 吡虫啉; the linked tests do not "
        "cover 吡虫啉. Link a test that covers them (such as a gold strip for 吡虫啉 or a lab "
        "report), or choose another basis for the promise."
    )
    assert (certificates(app), count(app, ItemCode)) == before
    [refusal] = refusals(app)
    assert refusal.reason == "test_not_covering" and refusal.batch_id == cucumbers.id
    assert refusal.message_zh == body["message_zh"] and refusal.message_en == body["message_en"]


def test_an_uncovered_organophosphate_is_pointed_to_enzyme_inhibition(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="辛硫磷")
    body = issue(client, make_token, cucumbers, gold_strip(app, cucumbers, "吡虫啉")).get_json()
    assert "（如酶抑制率法快检、辛硫磷胶体金试纸条或检测报告）" in body["message_zh"]


def test_several_linked_tests_combine_their_coverage(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="辛硫磷")
    add_input(app, cucumbers, substance="吡虫啉")
    add_input(app, cucumbers, substance="高效氯氰菊酯")
    tests = (
        enzyme(app, cucumbers),
        gold_strip(app, cucumbers, "吡虫啉"),
        lab_report(app, cucumbers, "高效氯氰菊酯"),
    )
    for alone in tests:
        assert issue(client, make_token, cucumbers, alone).status_code == 422
    response = issue(client, make_token, cucumbers, *tests)
    assert response.status_code == 201, response.get_json()


def test_a_basis_without_a_test_is_unaffected(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, substance="吡虫啉")
    test_id = enzyme(app, cucumbers)
    body = issue_body(cucumbers, basis=["quality_control"], tests=[test_id])
    response = client.post("/api/v1/certificates", json=body, headers=make_token())
    assert response.status_code == 201, response.get_json()


def test_fertiliser_needs_no_test(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    add_input(app, cucumbers, kind="fertilizer", substance="尿素", dose="10 kg/亩", method="撒施")
    response = issue(client, make_token, cucumbers, enzyme(app, cucumbers))
    assert response.status_code == 201, response.get_json()


# How names and classes are matched, without a database.


def entry(substance: str, trade_name: str = "", kind: str = "pesticide") -> InputUse:
    return InputUse(
        producer_id=1,
        kind=kind,
        substance=substance,
        product_name=trade_name,
        dose="",
        method="",
        used_on=date(2026, 5, 1),
        operator="",
    )


def rapid_test(method: str, target: str = "", items: tuple[str, ...] = ()) -> RapidTest:
    return RapidTest(
        product_name="黄瓜",
        method=method,
        target=target,
        items=list(items),
        result="pass",
        operator="",
        tested_at=datetime(2026, 5, 20),
    )


def missing(entries: list[InputUse], tests: list[RapidTest]) -> list[str]:
    return [s.zh for s in uncovered(entries, tests)[1]]


def test_a_listed_old_name_or_english_name_answers_to_the_common_name() -> None:
    strip = [rapid_test("colloidal_gold", target="克百威")]
    assert missing([entry("呋喃丹"), entry("carbofuran"), entry("克百威")], strip) == []


def test_a_strip_for_dimethoate_does_not_cover_omethoate() -> None:
    strip = [rapid_test("colloidal_gold", target="乐果")]
    assert missing([entry("氧乐果")], strip) == ["氧乐果"]
    assert missing([entry("40%氧乐果乳油")], strip) == ["氧乐果"]


def test_a_substance_recorded_twice_is_named_once() -> None:
    entries = [entry("辛硫磷"), entry("phoxim"), entry("40%辛硫磷乳油"), entry("吡虫啉")]
    assert missing(entries, []) == ["辛硫磷", "吡虫啉"]


def test_a_tested_name_inside_a_formulation_counts() -> None:
    assert missing([entry("70%吡虫啉水分散粒剂")], [rapid_test("colloidal_gold", "吡虫啉")]) == []


def test_each_part_of_a_mixture_needs_covering() -> None:
    strip = [rapid_test("colloidal_gold", target="吡虫啉")]
    assert missing([entry("毒死蜱·吡虫啉")], strip) == ["毒死蜱"]
    assert missing([entry("吡虫啉", trade_name="22%辛硫磷·吡虫啉乳油")], strip) == ["辛硫磷"]


def test_a_dithiocarbamate_item_does_not_cover_carbamate_insecticides() -> None:
    report = [rapid_test("lab_report", items=("二硫代氨基甲酸酯类（以CS2计）",))]
    assert missing([entry("异丙威")], report) == ["异丙威"]


VETERINARY_CLASSES = {
    "quinolone",
    "sulfonamide",
    "tetracycline",
    "amphenicol",
    "beta_agonist",
    "nitrofuran",
}


def vet(*substances: str) -> list[InputUse]:
    return [entry(s, kind="veterinary") for s in substances]


def test_enzyme_inhibition_covers_no_veterinary_drug() -> None:
    drugs = [m.key for m in class_members() if m.chemical_class in VETERINARY_CLASSES]
    listed = {m.chemical_class for m in class_members()}
    assert "恩诺沙星" in drugs and listed >= VETERINARY_CLASSES
    assert missing(vet(*drugs), [rapid_test("enzyme_inhibition")]) == drugs


def test_a_strip_for_one_sulfonamide_covers_it_and_not_the_class() -> None:
    strip = rapid_test("colloidal_gold", "磺胺嘧啶")
    assert missing(vet("磺胺嘧啶", "磺胺甲噁唑"), [strip]) == ["磺胺甲噁唑"]
    assert [(c.zh, c.en) for c in covered_by(strip)] == [("磺胺嘧啶", "sulfadiazine")]


@pytest.mark.parametrize("target", ["瘦肉精", "β-受体激动剂", "β2受体激动剂", "beta-agonists"])
def test_a_lean_meat_powder_strip_covers_clenbuterol_and_ractopamine(target: str) -> None:
    strip = rapid_test("colloidal_gold", target)
    assert missing(vet("克伦特罗", "克仑特罗", "莱克多巴胺"), [strip]) == []


def test_a_quinolone_strip_covers_levofloxacin_as_itself() -> None:
    strip = rapid_test("colloidal_gold", "喹诺酮类")
    assert missing(vet("左氧氟沙星", "恩诺沙星"), [strip]) == []
    # a strip for ofloxacin covers ofloxacin; levofloxacin is read whole, not as ofloxacin
    assert missing(vet("左氧氟沙星"), [rapid_test("colloidal_gold", "氧氟沙星")]) == ["左氧氟沙星"]


@pytest.mark.parametrize("target", ["毒死蜱/吡虫啉", "毒死蜱＋吡虫啉", "吡虫啉+毒死蜱"])
def test_a_combined_strip_covers_each_substance_it_names(target: str) -> None:
    strip = rapid_test("colloidal_gold", target)
    assert missing([entry("毒死蜱"), entry("吡虫啉"), entry("啶虫脒")], [strip]) == ["啶虫脒"]
    assert sorted(c.zh for c in covered_by(strip)) == ["吡虫啉", "毒死蜱"]


def test_a_comma_between_digits_stays_inside_the_name() -> None:
    report = rapid_test("lab_report", "", ("2,4-滴丁酯，毒死蜱",))
    assert missing([entry("2,4-滴丁酯"), entry("毒死蜱")], [report]) == []


def test_a_chloramphenicol_strip_covers_chloramphenicol_not_florfenicol() -> None:
    drugs = vet("氯霉素", "氟苯尼考")
    assert missing(drugs, [rapid_test("colloidal_gold", "氯霉素")]) == ["氟苯尼考"]
    assert missing(drugs, [rapid_test("colloidal_gold", "酰胺醇类")]) == []


def test_a_strip_for_a_pesticide_class_covers_the_class_as_a_lab_item_does() -> None:
    assert (
        missing([entry("辛硫磷"), entry("敌敌畏")], [rapid_test("colloidal_gold", "有机磷类")])
        == []
    )


def test_no_class_word_is_found_in_a_listed_substance_name() -> None:
    """Else a strip for one substance (四环素, 磺胺嘧啶) would be read as a class strip."""
    for member in class_members():
        for name in member.names:
            assert coverage_of([rapid_test("colloidal_gold", name)]).classes == set(), name


# What one test is shown to cover, on the tests page, against what the gate decides.

SHOWN_TESTS = [
    ("enzyme_inhibition", "", ()),
    ("colloidal_gold", "吡虫啉、呋喃丹（克百威）", ()),
    ("colloidal_gold", "毒死蜱/吡虫啉", ()),
    ("colloidal_gold", "有机磷类", ()),
    ("colloidal_gold", "喹诺酮类", ()),
    ("colloidal_gold", "氯霉素、瘦肉精", ()),
    ("colloidal_gold", "磺胺嘧啶、四环素", ()),
    ("lab_report", "", ("磺胺类药物", "土霉素", "β-受体激动剂", "硝基呋喃类代谢物")),
    ("lab_report", "", ("铅", "有机磷类农药", "高效氯氰菊酯", "二硫代氨基甲酸酯类（以CS2计）")),
    ("lab_report", "", ("有机磷和氨基甲酸酯类", "Imidacloprid")),
]


def shown(method: str, target: str = "", items: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(c.zh, c.en) for c in covered_by(rapid_test(method, target, items))]


def test_enzyme_inhibition_is_shown_to_cover_its_two_classes() -> None:
    assert shown("enzyme_inhibition") == [
        ("有机磷类", "organophosphates"),
        ("氨基甲酸酯类", "carbamates"),
    ]


def test_a_gold_strip_is_shown_to_cover_its_targets_as_written_with_listed_english_names() -> None:
    assert shown("colloidal_gold", "吡虫啉、呋喃丹（克百威）") == [
        ("吡虫啉", "吡虫啉"),
        ("呋喃丹（克百威）", "carbofuran"),
    ]


def test_a_lab_report_is_shown_to_cover_the_classes_and_substances_its_items_name() -> None:
    items = ("铅", "有机磷类农药", "高效氯氰菊酯", "二硫代氨基甲酸酯类（以CS2计）")
    assert shown("lab_report", items=items) == [
        ("有机磷类", "organophosphates"),
        ("高效氯氰菊酯", "beta-cypermethrin"),
        ("二硫代氨基甲酸酯类（以CS2计）", "二硫代氨基甲酸酯类（以CS2计）"),  # not carbamates
    ]


def _is_class(covered: Covered) -> bool:
    return covered.zh in CLASS_ZH.values()


@pytest.mark.parametrize(("method", "target", "items"), SHOWN_TESTS)
def test_what_a_test_is_shown_to_cover_the_gate_does_not_report_missing(
    method: str, target: str, items: tuple[str, ...]
) -> None:
    test = rapid_test(method, target, items)
    for covered in covered_by(test):
        if _is_class(covered):
            chemical_class = next(c for c, zh in CLASS_ZH.items() if zh == covered.zh)
            members = [m.key for m in class_members() if m.chemical_class == chemical_class]
            assert missing([entry(m) for m in members], [test]) == [], covered
        else:
            assert missing([entry(covered.zh), entry(covered.en)], [test]) == [], covered


@pytest.mark.parametrize(("method", "target", "items"), SHOWN_TESTS)
def test_a_listed_substance_a_test_is_not_shown_to_cover_the_gate_reports_missing(
    method: str, target: str, items: tuple[str, ...]
) -> None:
    test = rapid_test(method, target, items)
    covers = covered_by(test)
    for member in class_members():
        named = any(
            c.en == member.en or names_in(c.zh) & member.names for c in covers if not _is_class(c)
        )
        of_class = CLASS_ZH[member.chemical_class] in {c.zh for c in covers if _is_class(c)}
        reported = missing([entry(member.key)], [test]) == [member.key]
        assert reported != (named or of_class), member.key


def class_rows(name: str) -> list[dict[str, str]]:
    text = files("traceability.data").joinpath(f"reference/{name}").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_every_listed_pesticide_has_a_class_its_irac_group_and_a_source() -> None:
    rows = class_rows("pesticide_classes.csv")
    groups = {"organophosphate": "1B", "carbamate": "1A", "pyrethroid": "3A"}
    assert rows and all(groups[row["class"]] == row["irac_group"] for row in rows)
    assert all(
        f"IRAC MoA Classification v10.1 group {row['irac_group']}" in row["source"] for row in rows
    )


def test_every_listed_veterinary_drug_has_a_class_and_a_source_to_check() -> None:
    rows = class_rows("veterinary_drug_classes.csv")
    assert {row["class"] for row in rows} == VETERINARY_CLASSES
    assert all(
        row["source"].startswith("药理学分类") and row["verified"] == "check" for row in rows
    )
    assert "甲氧苄啶" not in {row["substance_zh"] for row in rows}  # a potentiator, not a sulfa
    pesticides = class_rows("pesticide_classes.csv")
    assert len(class_members()) == len(rows) + len(pesticides)


def test_the_gate_runs_as_many_queries_for_five_substances_as_for_one(
    client: FlaskClient, app: Flask, cucumbers: Batch, make_token: Any
) -> None:
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    def queries_to_issue(*tests: int) -> int:
        headers = make_token()
        statements.clear()
        event.listen(get_engine(app), "before_cursor_execute", note)
        try:
            body = issue_body(cucumbers, basis=["self_test"], tests=list(tests))
            response = client.post("/api/v1/certificates", json=body, headers=headers)
        finally:
            event.remove(get_engine(app), "before_cursor_execute", note)
        assert response.status_code == 201, response.get_json()
        return len(statements)

    add_input(app, cucumbers, substance="辛硫磷")
    tests = (enzyme(app, cucumbers), lab_report(app, cucumbers, "吡虫啉", "啶虫脒", "高效氯氰菊酯"))
    queries_to_issue(*tests)  # the reference lists load on first use
    one = queries_to_issue(*tests)
    for substance in ("异丙威", "吡虫啉", "啶虫脒", "高效氯氰菊酯"):
        add_input(app, cucumbers, substance=substance)
    assert queries_to_issue(*tests) == one
