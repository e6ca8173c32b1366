"""Registering a kiosk: its labels' layouts and print-head resolution are ones the label
code can draw, of the right kind, or the kiosk is not registered at all."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from printers.layouts import LAYOUTS
from tests.traceability.compliance.conftest import in_session
from traceability import keystore
from traceability.auth.tokens import create_token
from traceability.errors import Conflict, ValidationFailed
from traceability.kiosk import jobs
from traceability.kiosk.issuing import issue_at_kiosk
from traceability.kiosk.terminals import (
    authenticate_device,
    enrol,
    register_terminal,
    revoke_terminal,
    update_terminal,
)
from traceability.labels import CERTIFICATE_LAYOUTS, ITEM_LAYOUTS
from traceability.models import AuditEntry, Producer, Product, Region, RegionLevel, Terminal


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


# --- changing a registered kiosk ---------------------------------------------------------

NEW_PRINTER: dict[str, Any] = {
    "name": "清河镇一号机",
    "township_id": None,
    "site": "",
    "printer_model": "Zebra ZD421",
    "driver": "zpl",
    "certificate_layout": "label-60x40",
    "item_layout": "item-50x30",
    "dpi": 300,
}


def issue_and_claim(app: Flask, session: Session, terminal: Terminal) -> dict[str, Any]:
    """Issue one certificate at the kiosk as a producer does and claim its print job as the
    kiosk's agent does: the labels it is handed to print."""
    producer, product = session.exec(
        select(Producer, Product)
        .join(Product, col(Product.producer_id) == col(Producer.id))
        .where(col(Product.active).is_(True))
        .order_by(col(Product.id))
    ).first() or (None, None)
    assert producer is not None and product is not None
    kiosk_issue = issue_at_kiosk(
        session, producer, product_id=product.id or 0, quantity="5", unit="kg",
        basis=["quality_control"], items=1, terminal=terminal, base_url="https://t.example",
        key=keystore.active_signing_key(session, app.config["SIGNING_KEY_PASSPHRASE"]),
    )  # fmt: skip
    assert kiosk_issue.job is not None
    job = jobs.claim_next(session, terminal)
    assert job is not None and job.id == kiosk_issue.job.id
    payload = jobs.job_payload(session, job, terminal, "https://t.example")
    jobs.acknowledge(session, terminal, job.id, job.claim_token or "", "printed")
    return payload


def printing_of(payload: dict[str, Any]) -> list[tuple[str, int]]:
    return [(label["layout"], label["dpi"]) for label in payload["labels"]]


def test_a_changed_printer_prints_the_next_certificate_and_the_kiosk_keeps_its_credential(
    app: Flask, demo: dict[str, Any]
) -> None:
    def work(session: Session) -> tuple[list[tuple[str, int]], list[tuple[str, int]], str]:
        registered = register_terminal(session, name="清河镇一号机", township_id=None)
        _, credential = enrol(session, registered.enrolment_code)
        terminal = registered.terminal
        before = printing_of(issue_and_claim(app, session, terminal))
        update_terminal(session, terminal.id or 0, **NEW_PRINTER)
        after = printing_of(issue_and_claim(app, session, terminal))
        still, _ = authenticate_device(session, credential)  # no re-enrolment
        return before, after, still.driver

    before, after, driver = in_session(app, work)
    assert before == [("certificate-80x60", 203), ("item-40x30", 203)]
    assert after == [("label-60x40", 300), ("item-50x30", 300)]
    assert driver == "zpl"


def terminal_row(session: Session, terminal_id: int) -> dict[str, Any]:
    terminal = session.get(Terminal, terminal_id)
    assert terminal is not None
    session.refresh(terminal)
    return terminal.model_dump(exclude={"last_seen_at", "printer_reasons"})


def county_region(session: Session) -> int | None:
    return session.exec(select(Region.id).where(Region.level == RegionLevel.COUNTY)).first()


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"driver": "escpos"}, "layout_not_printable", "certificate_layout"),  # 80×60 on a roll
        ({"certificate_layout": "item-40x30"}, "invalid_layout", "certificate_layout"),
        ({"item_layout": "receipt-58"}, "invalid_layout", "item_layout"),
        ({"dpi": 600}, "invalid_dpi", "dpi"),
        ({"driver": "pdf"}, "invalid_driver", "driver"),
        ({"name": "  "}, "validation_failed", "name"),
        ({"township_id": "county"}, "validation_failed", "township_id"),
        ({"township_id": 999_999}, "validation_failed", "township_id"),
    ],
)
def test_a_refused_change_leaves_the_kiosk_as_it_was(
    app: Flask, demo: dict[str, Any], change: dict[str, Any], code: str, field: str
) -> None:
    def work(session: Session) -> None:
        terminal = register(session)
        session.commit()
        before = terminal_row(session, terminal.id or 0)
        values = {**NEW_PRINTER, "driver": "tspl", "certificate_layout": "certificate-80x60"}
        values.update(change)
        if values["township_id"] == "county":
            values["township_id"] = county_region(session)
        with pytest.raises(ValidationFailed) as refused:
            update_terminal(session, terminal.id or 0, **values)
        assert (refused.value.code, refused.value.details) == (code, {"field": field})
        session.rollback()
        assert terminal_row(session, terminal.id or 0) == before
        assert audit_of(session, "terminal.update") == []

    in_session(app, work)


def audit_of(session: Session, action: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_a_change_is_audited_naming_what_changed_before_and_after(
    app: Flask, demo: dict[str, Any]
) -> None:
    def work(session: Session) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str]:
        terminal = register(session)
        update_terminal(session, terminal.id or 0, **NEW_PRINTER, actor="user:7")
        update_terminal(session, terminal.id or 0, **NEW_PRINTER)  # no change: no entry
        (entry,) = audit_of(session, "terminal.update")
        return entry.before, entry.after, entry.actor

    before, after, actor = in_session(app, work)
    assert before == {
        "printer_model": "", "driver": "tspl", "certificate_layout": "certificate-80x60",
        "item_layout": "item-40x30", "dpi": 203,
    }  # fmt: skip
    assert after == {
        "printer_model": "Zebra ZD421", "driver": "zpl", "certificate_layout": "label-60x40",
        "item_layout": "item-50x30", "dpi": 300,
    }  # fmt: skip
    assert actor == "user:7"


def test_a_revoked_kiosk_cannot_be_changed(app: Flask) -> None:
    def work(session: Session) -> None:
        terminal = register(session)
        revoke_terminal(session, terminal.id or 0)
        session.commit()
        before = terminal_row(session, terminal.id or 0)
        with pytest.raises(Conflict) as refused:
            update_terminal(session, terminal.id or 0, **NEW_PRINTER)
        assert (refused.value.status, refused.value.code) == (409, "terminal_revoked")
        assert terminal_row(session, terminal.id or 0) == before

    in_session(app, work)


def patch_terminal(
    client: FlaskClient, headers: dict[str, str], terminal_id: int, **body: Any
) -> Any:
    return client.patch(f"/api/v1/terminals/{terminal_id}", json=body, headers=headers)


def test_the_api_changes_only_the_fields_it_is_given(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    terminal_id = post_terminal(client, admin, site="农业服务中心").get_json()["id"]
    response = patch_terminal(
        client, admin, terminal_id, driver="zpl", certificate_layout="label-60x40", dpi=300
    )
    assert response.status_code == 200
    assert response.get_json()["site"] == "农业服务中心"
    assert stored(app) == [("label-60x40", "item-40x30", 300)]


def test_the_api_refuses_a_bad_change_with_a_422_and_an_unknown_kiosk_with_a_404(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    terminal_id = post_terminal(client, admin).get_json()["id"]
    refused = patch_terminal(client, admin, terminal_id, driver="escpos", dpi=300)
    assert refused.status_code == 422
    assert refused.get_json()["details"] == {"field": "certificate_layout"}
    assert patch_terminal(client, admin, terminal_id, dpi="300").status_code == 422
    assert stored(app) == [("certificate-80x60", "item-40x30", 203)]
    assert patch_terminal(client, admin, terminal_id + 1000, dpi=300).status_code == 404


def test_the_api_refuses_a_supervisor_another_townships_kiosk(
    app: Flask, client: FlaskClient, admin: dict[str, str], demo: dict[str, Any]
) -> None:
    def townships(session: Session) -> list[int]:
        query = select(Region.id).where(Region.level == RegionLevel.TOWNSHIP)
        return [i for i in session.exec(query.order_by(col(Region.id))).all() if i is not None]

    own, other = in_session(app, townships)[:2]

    def supervisor(session: Session) -> dict[str, str]:
        _, secret = create_token(
            session, name="sup", role="township_supervisor", township_ids=[own]
        )
        return {"Authorization": f"Bearer {secret}"}

    headers = in_session(app, supervisor)
    theirs = post_terminal(client, admin, township_id=other).get_json()["id"]
    mine = post_terminal(client, admin, township_id=own).get_json()["id"]
    assert patch_terminal(client, headers, theirs, dpi=300).status_code == 403
    assert patch_terminal(client, headers, mine, township_id=other).status_code == 403
    assert stored(app) == [("certificate-80x60", "item-40x30", 203)] * 2
    assert patch_terminal(client, headers, mine, dpi=300).status_code == 200


def test_only_the_county_revokes_a_county_level_kiosk_and_a_supervisor_only_its_own(
    app: Flask, client: FlaskClient, admin: dict[str, str], demo: dict[str, Any]
) -> None:
    """A kiosk without a township is the county's: a township supervisor used to be let
    through to revoke it (and so stop its printing) because no township was there to check."""

    def first_township(session: Session) -> int:
        query = select(Region.id).where(Region.level == RegionLevel.TOWNSHIP)
        found = session.exec(query.order_by(col(Region.id))).first()
        assert found is not None
        return found

    own = in_session(app, first_township)

    def supervisor(session: Session) -> dict[str, str]:
        _, secret = create_token(
            session, name="sup", role="township_supervisor", township_ids=[own]
        )
        return {"Authorization": f"Bearer {secret}"}

    headers = in_session(app, supervisor)
    county = post_terminal(client, admin).get_json()["id"]  # no township
    mine = post_terminal(client, admin, township_id=own).get_json()["id"]

    def revoke(terminal_id: int, who: dict[str, str]) -> int:
        return client.post(f"/api/v1/terminals/{terminal_id}/revoke", headers=who).status_code

    assert revoke(county, headers) == 403
    assert in_session(app, lambda s: s.get_one(Terminal, county).revoked_at) is None
    assert revoke(mine, headers) == 200
    assert revoke(county, admin) == 200


# --- changing a kiosk from the command line ----------------------------------------------


def kiosk_cli(app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    from click.testing import CliRunner

    from traceability.cli import main

    monkeypatch.setenv("DATABASE_URL", str(app_config["DATABASE_URL"]))
    monkeypatch.setenv("TRACEABILITY_HOME", str(app_config["TRACEABILITY_HOME"]))
    return lambda *args: CliRunner().invoke(main, ["kiosk", *args])


def a_township(session: Session) -> int:
    township = session.exec(select(Region).where(Region.level == RegionLevel.TOWNSHIP)).first()
    if township is None:
        township = Region(code="330000001", name="清河镇", level=RegionLevel.TOWNSHIP)
        session.add(township)
        session.flush()
    assert township.id is not None
    return township.id


def test_the_cli_changes_what_it_is_given_and_keeps_the_rest(
    app: Flask, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk = kiosk_cli(app_config, monkeypatch)
    terminal_id = in_session(app, lambda s: register(s, printer_model="Gprinter GP-1324D").id)
    town = in_session(app, a_township)
    result = kiosk(
        "edit", str(terminal_id), "--driver", "zpl", "--dpi", "300", "--township-id", str(town),
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    changed = json.loads(result.output)["changed"]
    assert changed == ["dpi", "driver", "township_id"]

    def kept(session: Session) -> tuple[Any, ...]:
        t = session.get(Terminal, terminal_id)
        assert t is not None
        return t.driver, t.dpi, t.township_id, t.name, t.printer_model

    assert in_session(app, kept) == ("zpl", 300, town, "清河镇一号机", "Gprinter GP-1324D")
    back = kiosk("edit", str(terminal_id), "--county-level")
    assert back.exit_code == 0 and "township_id" in back.output
    assert in_session(app, kept)[2] is None
    entries = in_session(
        app,
        lambda s: [
            (e.actor, e.after)
            for e in s.exec(select(AuditEntry).where(AuditEntry.action == "terminal.update"))
        ],
    )
    assert entries[0] == ("cli", {"driver": "zpl", "dpi": 300, "township_id": town})


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--certificate-layout", "receipt-58"], 1, ("certificate_layout", "TSPL", "cannot print")),
        (["--dpi", "600"], 1, ("203 或 300", "203 or 300")),
        (["--township-id", "5", "--county-level"], 2, ("--county-level",)),
    ],
)
def test_the_cli_refuses_an_edit_the_page_refuses_and_changes_nothing(
    app: Flask,
    app_config: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
    words: tuple[str, ...],
) -> None:
    kiosk = kiosk_cli(app_config, monkeypatch)
    terminal_id = in_session(app, lambda s: register(s).id)
    result = kiosk("edit", str(terminal_id), *args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert all(word in result.output for word in words), result.output
    assert stored(app) == [("certificate-80x60", "item-40x30", 203)]


def test_the_cli_says_a_kiosk_is_unknown_or_revoked(
    app: Flask, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk = kiosk_cli(app_config, monkeypatch)
    terminal_id = in_session(app, lambda s: register(s).id)
    in_session(app, lambda s: revoke_terminal(s, terminal_id))
    revoked = kiosk("edit", str(terminal_id), "--dpi", "300")
    assert revoked.exit_code == 1 and "已吊销" in revoked.output and "revoked" in revoked.output
    unknown = kiosk("edit", "999999", "--dpi", "300")
    assert unknown.exit_code == 1 and "找不到该终端" in unknown.output
