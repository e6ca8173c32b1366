"""The kiosk and phone endpoints: unusable input is a 4xx in both languages, a certificate
whose labels could never print is refused before anything is issued, and phone issuing
hands over every item code."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from printers.drivers import widest_paper_mm
from printers.layouts import build_label
from printers.model import CertificateLabelData, TextElement
from printers.raster import check_fits, fit_text, render_raster
from tests.printers.conftest import read_qr_texts
from tests.printers.decoders import cpcl, split_jobs, tspl
from tests.traceability.compliance.conftest import certificates, in_session
from traceability.kiosk import jobs
from traceability.models import Batch, PrintJob, Product, Terminal

LONG_NAME = "平邑县地方镇东阳村绿源有机富硒红心猕猴桃徐香品种一级果礼盒装精选特级大果"  # 38


def rename_product(app: Flask, batch: Batch, name: str) -> None:
    def work(session: Any) -> None:
        product = session.get(Product, batch.product_id)
        product.name = name
        session.add(product)

    in_session(app, work)


def issue(kiosk: FlaskClient, batch: Batch, mode: str = "kiosk", **changes: Any) -> Any:
    body = {
        "mode": mode,
        "product_id": batch.product_id,
        "quantity": "12.5",
        "unit": "kg",
        "basis": ["quality_control"],
        "items": 1,
        **changes,
    }
    return kiosk.post("/kiosk/api/issue", json=body)


def refused(answer: Any, status: int = 422) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    body = answer.get_json()
    assert body["message_zh"] and body["message_en"]
    return dict(body)


@pytest.mark.parametrize("quantity", ["1e999999", "NaN", "1e5", "1.2.3", "-1"])
def test_a_preview_of_an_unusable_quantity_is_a_4xx_in_both_languages(
    kiosk: FlaskClient, cucumbers: Batch, quantity: str
) -> None:
    answer = kiosk.get(
        f"/kiosk/api/preview.png?product_id={cucumbers.product_id}&quantity={quantity}"
    )
    assert refused(answer)["error"] == "invalid_quantity"


@pytest.mark.parametrize(
    "query", ["product_id=99999999999999999999", "product_id=abc", "product_id=-1"]
)
def test_an_id_that_cannot_name_a_product_is_a_4xx(kiosk: FlaskClient, query: str) -> None:
    refused(kiosk.get(f"/kiosk/api/preview.png?{query}&quantity=1"))
    refused(kiosk.get(f"/kiosk/api/tests?{query}"))


def test_an_issue_with_an_unusable_quantity_or_id_is_a_4xx_and_issues_nothing(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    before = certificates(app)
    assert refused(issue(kiosk, cucumbers, quantity="1e999999"))["error"] == "invalid_quantity"
    assert "太大" in refused(issue(kiosk, cucumbers, quantity="99999999999"))["message_zh"]
    refused(issue(kiosk, cucumbers, product_id=2**70))
    refused(issue(kiosk, cucumbers, tests=[2**70]))
    assert certificates(app) == before


def test_a_long_product_name_prints_whole_on_every_label_of_the_job(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    rename_product(app, cucumbers, LONG_NAME)
    preview = kiosk.get(f"/kiosk/api/preview.png?product_id={cucumbers.product_id}&quantity=12.5")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    answer = issue(kiosk, cucumbers, items=3)
    assert answer.status_code == 201, answer.get_json()

    def payload(session: Any) -> dict[str, Any]:
        job = session.get(PrintJob, answer.get_json()["job"]["id"])
        terminal = session.get(Terminal, job.terminal_id)
        return jobs.job_payload(session, job, terminal, app.config["PUBLIC_BASE_URL"])

    labels = in_session(app, payload)["labels"]
    assert len(labels) == 4
    for entry in labels:
        fields = {**entry["data"], "basis": tuple(entry["data"]["basis"])}
        check_fits(build_label(entry["layout"], CertificateLabelData(**fields), entry["dpi"]))


def test_a_name_too_long_for_any_label_is_refused_before_anything_is_issued(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    rename_product(app, cucumbers, "超长品名" * 25)  # 100 characters, as the registry allows
    preview = kiosk.get(f"/kiosk/api/preview.png?product_id={cucumbers.product_id}&quantity=12.5")
    body = refused(preview)
    assert body["error"] == "label_does_not_fit" and "产品名称太长" in body["message_zh"]
    before = certificates(app)
    for mode in ("kiosk", "phone"):
        assert refused(issue(kiosk, cucumbers, mode=mode))["error"] == "label_does_not_fit"
    assert certificates(app) == before
    assert in_session(app, lambda s: s.exec(select(PrintJob.id)).all()) == []


@pytest.mark.parametrize("language", ["cpcl", "tspl"])
def test_phone_printer_bytes_hold_the_certificate_and_every_item_code(
    kiosk: FlaskClient, cucumbers: Batch, language: str
) -> None:
    answer = issue(kiosk, cucumbers, mode="phone", items=5)
    assert answer.status_code == 201, answer.get_json()
    number = answer.get_json()["certificate"]["number"]
    data = kiosk.get(f"/kiosk/api/certificates/{number}/printer-bytes?driver={language}").data
    decode = tspl.decode if language == "tspl" else cpcl.decode
    images = [decode(job).image for job in split_jobs(data, language)]
    scanned = [read_qr_texts(image) for image in images]
    assert len(scanned) == 6 and all(len(texts) == 1 for texts in scanned)
    # nothing wider than the language's widest printer: a 3-inch CPCL one gets the 60×40
    widest_dots = widest_paper_mm(language) / 25.4 * 203
    assert max(image.width for image in images) <= widest_dots
    codes = [texts[0] for texts in scanned]
    assert codes[0] == codes[1] and len(set(codes[1:])) == 5  # certificate, then each code
    pdf = kiosk.get(answer.get_json()["labels_pdf_url"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_print_job_says_whether_the_kiosk_agent_is_heard_from(
    kiosk: FlaskClient, cucumbers: Batch
) -> None:
    job = issue(kiosk, cucumbers).get_json()["job"]
    assert kiosk.get(f"/kiosk/api/jobs/{job['id']}").get_json()["agent_online"] is False


def test_wrong_pins_warn_before_the_lockout_and_the_fifth_says_locked(
    kiosk: FlaskClient, demo: dict[str, Any], cucumbers: Batch
) -> None:
    [card] = [c for c in demo["kiosk_cards"] if c["producer_id"] == cucumbers.producer_id]
    said = []
    for _ in range(5):
        answer = kiosk.post("/kiosk/api/signin", json={"identifier": card["card"], "pin": "0"})
        said.append(refused(answer, 401)["message_zh"])
    assert not any("再错" in text for text in said[:2])
    assert "再错 2 次" in said[2] and "再错 1 次" in said[3]
    assert "已锁定" in said[4]


def answers(kiosk: FlaskClient, identifier: str, tries: int = 7) -> list[tuple[int, str, str, str]]:
    """Status, code and both messages of `tries` wrong PINs in a row for `identifier`."""
    said = []
    for _ in range(tries):
        answer = kiosk.post("/kiosk/api/signin", json={"identifier": identifier, "pin": "0"})
        body = answer.get_json()
        said.append((answer.status_code, body["error"], body["message_zh"], body["message_en"]))
    return said


@pytest.mark.parametrize(
    "unknown",
    ["HTTP://LOCALHOST/K/ZZZZZZZZZZZZ", "ZZZZZZZZZZZZ", "98765"],  # a card code, a number
)
def test_an_unknown_card_gets_the_same_answers_as_a_real_card_with_a_wrong_pin(
    kiosk: FlaskClient, demo: dict[str, Any], cucumbers: Batch, unknown: str
) -> None:
    """The warnings help a producer who mistypes; an unknown card hears them too, at the same
    tries and with the same counts, and is locked the same way, so guessing card or producer
    numbers cannot tell which exist."""
    [card] = [c for c in demo["kiosk_cards"] if c["producer_id"] == cucumbers.producer_id]
    real = answers(kiosk, card["card"])
    assert "再错 2 次" in real[2][2] and "已锁定" in real[4][2] and "分钟后再试" in real[5][2]
    assert answers(kiosk, unknown) == real


def test_an_unknown_number_counts_its_tries_however_it_is_typed(
    kiosk: FlaskClient, demo: dict[str, Any]
) -> None:
    """A real producer number counts wrong tries typed as 7 or 007 together: so does an unknown
    one, else alternating the two forms would tell them apart."""
    said = [answers(kiosk, form, tries=1)[0] for form in ("98765", "098765", " 98765", "98765")]
    assert "再错 2 次" in said[2][2] and "再错 1 次" in said[3][2]


def test_an_unknown_card_is_not_stored_as_typed(
    app: Flask, kiosk: FlaskClient, demo: dict[str, Any]
) -> None:
    """What a person typed may be someone's ID-card number: only a keyed digest is kept."""
    from traceability.models import LoginThrottle

    typed = "11010519491231002X"
    answers(kiosk, typed, tries=1)
    keys = in_session(app, lambda s: [row.address for row in s.exec(select(LoginThrottle))])
    assert len(keys) == 1 and typed not in keys[0] and typed.lower() not in keys[0]


def test_a_kiosk_printing_the_60x40_label_issues_a_long_product_name(
    app: Flask, kiosk: FlaskClient, cucumbers: Batch
) -> None:
    """The 60×40 certificate label used to refuse names past about 20 characters
    (label_does_not_fit) where the 80×60 printed them whole; now it wraps and shrinks too."""

    def use_60x40(session: Any) -> None:
        for terminal in session.exec(select(Terminal)).all():
            terminal.certificate_layout = "label-60x40"
            session.add(terminal)

    in_session(app, use_60x40)
    name = "平邑县地方镇东阳村绿源有机果蔬种植专业合作社联合社"  # 25 characters
    rename_product(app, cucumbers, name)
    answer = issue(kiosk, cucumbers, items=2)
    assert answer.status_code == 201, answer.get_json()

    def payload(session: Any) -> dict[str, Any]:
        job = session.get(PrintJob, answer.get_json()["job"]["id"])
        terminal = session.get(Terminal, job.terminal_id)
        return jobs.job_payload(session, job, terminal, app.config["PUBLIC_BASE_URL"])

    first = in_session(app, payload)["labels"][0]
    assert first["layout"] == "label-60x40"
    fields = {**first["data"], "basis": tuple(first["data"]["basis"])}
    label = build_label("label-60x40", CertificateLabelData(**fields), first["dpi"])
    check_fits(label)
    product = label.element("product")
    assert isinstance(product, TextElement)
    assert "".join(fit_text(product).lines) == "品名：" + name
    assert read_qr_texts(render_raster(label)) == [first["data"]["qr_text"]]
