"""The `printers` command: print a label or test page, render PNG/PDF, ask a printer's status.

Runs on a kiosk without the server. Exit codes: 0 done, 1 bad input or layout,
2 printer not ready (paper out, head open…), 3 could not reach the printer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from printers.drivers import DRIVERS, get_driver
from printers.errors import PrinterError
from printers.job import PrinterNotReady, print_label, query_status
from printers.layouts import LAYOUTS, build_label
from printers.model import CertificateLabelData, PrintSettings
from printers.profiles import PROFILES
from printers.raster import render_raster
from printers.sheet import render_pdf_sheet
from printers.transports import TransportError, open_transport

TEST_PAGE = CertificateLabelData(
    product="测试页 TEST",
    qr_text="HTTP://127.0.0.1:8000/C/TESTPAGE0123456789",
    issuer="打印机测试 printer test",
    date="2026-01-01",
    quantity="1 kg",
    origin="测试地址",
    phone="00000000000",
    basis=("自行检测合格",),
    certificate_no="TEST-0001",
)


def _label_options(parser: argparse.ArgumentParser, *, qr_required: bool) -> None:
    group = parser.add_argument_group("label")
    group.add_argument("--layout", default="item-40x30", choices=sorted(LAYOUTS))
    group.add_argument("--dpi", type=int, default=203, choices=(203, 300))
    group.add_argument("--qr", required=qr_required, help="text of the QR code (the code URL)")
    group.add_argument("--product", default="", help="产品名称 product name")
    group.add_argument("--issuer", default="", help="生产者/承诺主体 issuing party")
    group.add_argument("--date", default="", help="开具日期 issue date, printed as given")
    group.add_argument("--quantity", default="", help="数量（重量） e.g. '5 kg'")
    group.add_argument("--origin", default="", help="产地 place of origin")
    group.add_argument("--phone", default="", help="联系方式 contact phone")
    group.add_argument("--certificate-no", default="", help="合格证编号")
    group.add_argument("--basis", action="append", default=[], help="承诺依据 (repeatable)")
    group.add_argument("--sequence", help="sequence mark such as 3/100")
    group.add_argument("--reprint", action="store_true", help="mark the label 补打 (reprint)")


def _printer_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("printer")
    group.add_argument(
        "--printer",
        required=True,
        help="printer URL: tcp://host:9100?timeout=5, file:///dev/usb/lp0, "
        "serial:///dev/ttyUSB0?baud=9600, cups://Queue",
    )
    group.add_argument("--driver", required=True, choices=sorted(DRIVERS), help="command language")
    group.add_argument("--profile", choices=sorted(PROFILES), help="printer model profile")
    group.add_argument("--mode", default="native", choices=("native", "raster"))
    group.add_argument("--copies", type=int, default=1)
    group.add_argument("--density", type=int, help="darkness in the printer's own scale")
    group.add_argument("--speed", type=float, help="print speed, inches per second")
    group.add_argument("--no-status", action="store_true", help="do not ask the printer's status")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="printers",
        description="打印承诺达标合格证标签 — print certificate labels on "
        "TSPL/ZPL/CPCL/ESC-POS printers.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("print", help="print one label to a printer URL")
    _label_options(p, qr_required=True)
    _printer_options(p)

    p = sub.add_parser("test-page", help="print a sample label to check a printer")
    _label_options(p, qr_required=False)
    _printer_options(p)

    p = sub.add_parser("render", help="render a label to PNG, or an A4 PDF sheet of copies")
    _label_options(p, qr_required=True)
    p.add_argument("--out", required=True, type=Path, help="output .png or .pdf")
    p.add_argument("--count", type=int, default=1, help="labels on the PDF sheet")

    p = sub.add_parser("status", help="ask a printer for its status")
    p.add_argument("url", help="printer URL, e.g. tcp://10.0.0.5:9100?timeout=2")
    p.add_argument("--driver", required=True, choices=sorted(DRIVERS))
    p.add_argument("--profile", choices=sorted(PROFILES))

    sub.add_parser("drivers", help="list command languages and printer profiles")
    sub.add_parser("layouts", help="list label layouts")
    return parser


def _data(
    args: argparse.Namespace, base: CertificateLabelData | None = None
) -> CertificateLabelData:
    given = {
        "qr_text": args.qr,
        "product": args.product,
        "issuer": args.issuer,
        "date": args.date,
        "quantity": args.quantity,
        "origin": args.origin,
        "phone": args.phone,
        "certificate_no": args.certificate_no,
        "basis": tuple(args.basis),
        "sequence": args.sequence,
    }
    present = {k: v for k, v in given.items() if v}
    if base is not None:
        return replace(base, **present, reprint=args.reprint)
    return replace(CertificateLabelData(product="", qr_text=""), **present, reprint=args.reprint)


def _print(args: argparse.Namespace, data: CertificateLabelData) -> int:
    label = build_label(args.layout, data, args.dpi)
    driver = get_driver(args.driver, args.profile)
    settings = PrintSettings(copies=args.copies, density=args.density, speed=args.speed)
    result = print_label(
        label,
        args.printer,
        driver,
        mode=args.mode,
        settings=settings,
        check_status=not args.no_status,
    )
    raster = [name for name, mode in result.modes.items() if mode == "raster"]
    print(f"{result.outcome}: {result.bytes_sent} bytes to {args.printer}")
    if args.mode == "native" and raster:
        print(f"raster fields: {', '.join(raster)}")
    if result.status_after is not None:
        print(f"status: {result.status_after.message()}")
    return 0


def _render(args: argparse.Namespace) -> int:
    data = _data(args)
    if args.out.suffix.lower() == ".pdf":
        labels = [build_label(args.layout, data, args.dpi)] * args.count
        args.out.write_bytes(render_pdf_sheet(labels))
    else:
        render_raster(build_label(args.layout, data, args.dpi)).save(args.out)
    print(args.out)
    return 0


def _status(args: argparse.Namespace) -> int:
    driver = get_driver(args.driver, args.profile)
    with open_transport(args.url) as transport:
        status = query_status(transport, driver)
    print(f"{status.state}: {status.message()}")
    return 0 if status.ready else 2


def _list_drivers() -> int:
    for name, cls in DRIVERS.items():
        print(f"{name:8} {(cls.__doc__ or '').splitlines()[0]}")
    print("\nprofiles:")
    for profile in PROFILES.values():
        print(f"  {profile.name:16} {profile.language:7} {profile.dpi} dpi  {profile.description}")
    return 0


def _list_layouts() -> int:
    for spec in LAYOUTS.values():
        print(f"{spec.name:20} {spec.description}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "print":
            return _print(args, _data(args))
        if args.command == "test-page":
            return _print(args, _data(args, TEST_PAGE))
        if args.command == "render":
            return _render(args)
        if args.command == "status":
            return _status(args)
        if args.command == "drivers":
            return _list_drivers()
        return _list_layouts()
    except PrinterNotReady as exc:
        print(exc, file=sys.stderr)
        return 2
    except TransportError as exc:
        print(exc, file=sys.stderr)
        return 3
    except PrinterError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
