"""Registering a kiosk: its labels' layouts and print-head resolution are ones the label
code can draw, of the right kind, or the kiosk is not registered at all."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from printers.layouts import LAYOUTS
from tests.traceability.compliance.conftest import in_session
from traceability.errors import ValidationFailed
from traceability.kiosk.terminals import register_terminal
from traceability.labels import CERTIFICATE_LAYOUTS, ITEM_LAYOUTS
from traceability.models import Terminal


def register(session: Session, **printing: Any) -> Terminal:
    return register_terminal(session, name="清河镇一号机", township_id=None, **printing).terminal


def refusal(app: Flask, **printing: Any) -> ValidationFailed:
    """What registering with these settings is refused with; nothing may be left behind."""

    def work(session: Session) -> ValidationFailed:
        with pytest.raises(ValidationFailed) as refused:
            register(session, **printing)
        assert session.exec(select(Terminal)).all() == []
        return refused.value

    return in_session(app, work)


def test_every_layout_printers_knows_is_either_a_certificate_or_an_item_layout() -> None:
    assert set(CERTIFICATE_LAYOUTS) | set(ITEM_LAYOUTS) == set(LAYOUTS)
    assert not set(CERTIFICATE_LAYOUTS) & set(ITEM_LAYOUTS)
    assert {"certificate-80x60", "certificate-100x70", "label-60x40"} <= set(CERTIFICATE_LAYOUTS)
    assert set(ITEM_LAYOUTS) == {"item-40x30", "item-50x30"}


def test_a_kiosk_is_registered_with_the_layouts_and_dpi_it_was_given(app: Flask) -> None:
    def work(session: Session) -> tuple[str, str, int]:
        terminal = register(
            session, certificate_layout="certificate-100x70", item_layout="item-50x30", dpi=300
        )
        return terminal.certificate_layout, terminal.item_layout, terminal.dpi

    assert in_session(app, work) == ("certificate-100x70", "item-50x30", 300)


@pytest.mark.parametrize(
    ("printing", "field", "zh", "en"),
    [
        ({"certificate_layout": "a4-sheet"}, "certificate_layout", "没有名为", "no layout named"),
        ({"item_layout": "item-99x99"}, "item_layout", "没有名为", "no layout named"),
        ({"certificate_layout": "item-40x30"}, "certificate_layout", "不是合格证版式", "not a"),
        ({"item_layout": "certificate-80x60"}, "item_layout", "不是单品标签版式", "not a"),
    ],
)
def test_an_unknown_layout_or_one_of_the_wrong_kind_is_refused_naming_the_field(
    app: Flask, printing: dict[str, str], field: str, zh: str, en: str
) -> None:
    refused = refusal(app, **printing)
    assert (refused.status, refused.code, refused.details) == (
        422,
        "invalid_layout",
        {"field": field},
    )
    assert zh in refused.message_zh and field in refused.message_zh
    assert en in refused.message_en and field in refused.message_en
    known = CERTIFICATE_LAYOUTS if field == "certificate_layout" else ITEM_LAYOUTS
    assert all(name in refused.message_zh and name in refused.message_en for name in known)


@pytest.mark.parametrize("dpi", [0, 200, 600])
def test_a_dpi_the_layouts_are_not_drawn_for_is_refused(app: Flask, dpi: int) -> None:
    refused = refusal(app, dpi=dpi)
    assert (refused.status, refused.code, refused.details) == (422, "invalid_dpi", {"field": "dpi"})
    assert "203 或 300" in refused.message_zh and "dpi" in refused.message_zh
    assert "203 or 300" in refused.message_en and str(dpi) in refused.message_en


@pytest.fixture
def admin(make_token: Any) -> dict[str, str]:
    return dict(make_token("county_admin"))


def post_terminal(client: FlaskClient, admin: dict[str, str], **fields: Any) -> Any:
    return client.post("/api/v1/terminals", json={"name": "清河镇一号机", **fields}, headers=admin)


def stored(app: Flask) -> list[tuple[str, str, int]]:
    return in_session(
        app,
        lambda s: [
            (t.certificate_layout, t.item_layout, t.dpi) for t in s.exec(select(Terminal)).all()
        ],
    )


def test_the_api_registers_a_kiosk_with_its_layouts_and_dpi(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    printing = {"certificate_layout": "label-60x40", "item_layout": "item-50x30", "dpi": 300}
    response = post_terminal(client, admin, **printing)
    assert response.status_code == 201
    assert stored(app) == [("label-60x40", "item-50x30", 300)]


def test_the_api_defaults_to_the_80x60_certificate_and_40x30_items_at_203_dpi(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    assert post_terminal(client, admin).status_code == 201
    assert stored(app) == [("certificate-80x60", "item-40x30", 203)]


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"certificate_layout": "a4-sheet"}, "invalid_layout", "certificate_layout"),
        ({"item_layout": "receipt-58"}, "invalid_layout", "item_layout"),
        ({"dpi": 600}, "invalid_dpi", "dpi"),
        ({"dpi": "300"}, "invalid_field", "dpi"),
        ({"dpi": True}, "invalid_field", "dpi"),
    ],
)
def test_the_api_refuses_bad_printing_settings_with_a_422_naming_the_field(
    app: Flask, client: FlaskClient, admin: dict[str, str], fields: dict[str, Any], code: str,
    field: str,
) -> None:  # fmt: skip
    response = post_terminal(client, admin, **fields)
    assert response.status_code == 422
    body = response.get_json()
    assert (body["error"], body["details"]) == (code, {"field": field})
    assert field in body["message_zh"] and field in body["message_en"]
    assert stored(app) == []


def test_a_printer_language_printers_gains_is_accepted_without_another_edit(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kiosk reads printers' own driver table: a new driver cannot be forgotten here."""
    from printers import drivers
    from printers.drivers.tspl import TsplDriver
    from printers.profiles import PROFILES, PrinterProfile

    class EplDriver(TsplDriver):
        language = "epl"  # type: ignore[assignment]

    monkeypatch.setitem(drivers.DRIVERS, "epl", EplDriver)
    monkeypatch.setitem(PROFILES, "epl-203", PrinterProfile("epl-203", "epl"))  # type: ignore[arg-type]
    terminal = in_session(app, lambda s: register(s, driver="epl").driver)
    assert terminal == "epl"


def test_the_kiosk_drivers_are_printers_drivers() -> None:
    from printers.drivers import DRIVERS as PRINTER_DRIVERS
    from traceability.kiosk.terminals import DRIVERS

    assert tuple(PRINTER_DRIVERS) == DRIVERS


def test_an_unknown_printer_language_is_refused_naming_the_field(app: Flask) -> None:
    refused = refusal(app, driver="epson")
    assert (refused.code, refused.details) == ("invalid_driver", {"field": "driver"})
    assert "tspl" in refused.message_zh and "escpos" in refused.message_en


@pytest.mark.parametrize(
    ("printing", "field"),
    [
        ({"driver": "tspl", "certificate_layout": "receipt-58"}, "certificate_layout"),
        ({"driver": "zpl", "certificate_layout": "receipt-80"}, "certificate_layout"),
        ({"driver": "cpcl", "certificate_layout": "receipt-80"}, "certificate_layout"),
        ({"driver": "cpcl", "certificate_layout": "certificate-80x60"}, "certificate_layout"),
        ({"driver": "escpos", "certificate_layout": "certificate-80x60"}, "certificate_layout"),
        ({"driver": "escpos", "certificate_layout": "certificate-100x70"}, "certificate_layout"),
    ],
)
def test_a_layout_the_printer_language_cannot_print_is_refused_naming_the_field(
    app: Flask, printing: dict[str, str], field: str
) -> None:
    """A receipt runs across a label printer's labels; an 80 mm certificate is wider than the
    widest receipt roll (or 3-inch CPCL printer) printers knows."""
    refused = refusal(app, **printing)
    assert (refused.status, refused.code, refused.details) == (
        422,
        "layout_not_printable",
        {"field": field},
    )
    layout, driver = printing[field], printing["driver"].upper()
    assert layout in refused.message_zh and field in refused.message_zh
    assert driver in refused.message_zh and driver in refused.message_en
    assert layout in refused.message_en and field in refused.message_en
    assert "item-40x30" in refused.message_en  # what it can print instead


@pytest.mark.parametrize(
    "printing",
    [
        {"driver": "escpos", "certificate_layout": "receipt-58"},
        {"driver": "escpos", "certificate_layout": "receipt-80", "item_layout": "item-50x30"},
        {"driver": "cpcl", "certificate_layout": "label-60x40"},
        {"driver": "zpl", "certificate_layout": "certificate-100x70", "item_layout": "item-50x30"},
        {"driver": "tspl", "dpi": 300},
    ],
)
def test_a_layout_the_printer_can_print_is_registered(app: Flask, printing: dict[str, Any]) -> None:
    terminal = in_session(app, lambda s: register(s, **printing).driver)
    assert terminal == printing["driver"]


def test_the_api_refuses_a_receipt_on_a_label_printer_with_a_422(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    response = post_terminal(client, admin, driver="tspl", certificate_layout="receipt-80")
    assert response.status_code == 422
    body = response.get_json()
    assert (body["error"], body["details"]) == (
        "layout_not_printable",
        {"field": "certificate_layout"},
    )
    assert stored(app) == []


@pytest.fixture
def cli(app: Flask, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """`traceability …` against the test app's database."""
    from click.testing import CliRunner

    from traceability.cli import main

    monkeypatch.setenv("DATABASE_URL", str(app_config["DATABASE_URL"]))
    monkeypatch.setenv("TRACEABILITY_HOME", str(app_config["TRACEABILITY_HOME"]))
    return lambda *args: CliRunner().invoke(main, ["kiosk", "register", *args])


def test_the_cli_registers_a_kiosk_with_its_layouts_and_dpi(app: Flask, cli: Any) -> None:
    result = cli(
        "--name", "清河镇一号机", "--driver", "escpos", "--printer-model", "Xprinter XP-80T",
        "--certificate-layout", "receipt-80", "--item-layout", "item-50x30", "--dpi", "203",
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert stored(app) == [("receipt-80", "item-50x30", 203)]
    model = in_session(app, lambda s: s.exec(select(Terminal.printer_model)).one())
    assert model == "Xprinter XP-80T"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--certificate-layout", "a4-sheet"], ("certificate_layout", "没有名为", "no layout")),
        (["--item-layout", "certificate-80x60"], ("item_layout", "不是单品标签版式", "not a")),
        (["--dpi", "600"], ("dpi", "203 或 300", "203 or 300")),
        (["--certificate-layout", "receipt-58"], ("certificate_layout", "TSPL", "cannot print")),
    ],
)
def test_the_cli_refuses_what_the_api_refuses_in_one_bilingual_line(
    app: Flask, cli: Any, args: list[str], words: tuple[str, ...]
) -> None:
    result = cli("--name", "清河镇一号机", *args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output and not isinstance(result.exception, ValidationFailed)
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: ") and " / " in line
    assert all(word in line for word in words)
    assert stored(app) == []
