"""`traceability-kiosk`: the kiosk print agent (run it as a systemd service; docs/kiosk.md)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from printers.agent import AGENT_VERSION
from printers.agent.client import KioskClient, ServerError, ServerRefused, ServerUnavailable
from printers.agent.journal import Journal
from printers.agent.runner import Agent, AgentSettings
from printers.drivers import DRIVERS, get_driver
from printers.errors import PrinterError
from printers.profiles import get_profile
from printers.transports import TransportError, make_transport


def server_url(text: str) -> str:
    """The service's base URL, refused here when it could never be reached (no scheme)."""
    parts = urlsplit(text.strip())
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = parts._replace(scheme="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"“{text}” 不是服务地址，应如 https://trace.example.cn"
            f" / is not the service's address, e.g. https://trace.example.cn"
        )
    return text.strip()


def seconds(text: str) -> float:
    """A positive number of seconds (a poll of 0 would hammer the server)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 86_400:
        raise argparse.ArgumentTypeError(
            f"“{text}” 应为大于 0 的秒数 / must be a number of seconds above 0"
        )
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="traceability-kiosk",
        description="Kiosk print agent: pulls print jobs from the server and prints each "
        "label once.",
    )
    p.add_argument(
        "--server",
        required=True,
        type=server_url,
        help="Service base URL, e.g. https://trace.example.cn",
    )
    p.add_argument(
        "--credential", required=True, help="File holding the device credential (mode 0600)."
    )
    p.add_argument(
        "--enrol", metavar="CODE", help="Enrol with this one-time code and save the credential."
    )
    p.add_argument(
        "--enrol-only", action="store_true", help="Enrol, save the credential, and exit."
    )
    p.add_argument(
        "--printer", required=True, help="Printer URL: tcp://host:9100, file:///dev/usb/lp0, …"
    )
    p.add_argument(
        "--driver",
        default=None,
        choices=sorted(DRIVERS),
        help="The attached printer's language; without it (and without --profile) the agent "
        "follows the kiosk's record on the server (and remembers it in the journal).",
    )
    p.add_argument(
        "--profile",
        default=None,
        help="Printer profile name (see `printers drivers`); it also gives the language.",
    )
    p.add_argument("--mode", default="raster", choices=["raster", "native", "auto"])
    p.add_argument(
        "--journal", default="/var/lib/traceability-kiosk/journal.db", help="Local journal file."
    )
    p.add_argument("--poll", type=seconds, default=2.0, help="Seconds between polls when idle.")
    p.add_argument("--heartbeat", type=seconds, default=30.0, help="Seconds between heartbeats.")
    p.add_argument("--scale", default=None, help="Scale URL, e.g. serial:///dev/ttyUSB0?baud=9600")
    p.add_argument(
        "--local-port", type=int, default=0, help="Serve /scale and /status on 127.0.0.1:PORT."
    )
    p.add_argument(
        "--until-idle", action="store_true", help="Exit when no job is waiting (for scripts)."
    )
    p.add_argument("--crash-after-print", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--version", action="version", version=AGENT_VERSION)
    return p


def _save_credential(path: Path, credential: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(credential + "\n")


def agent_settings(
    args: argparse.Namespace, journal: Journal, enrolled: str | None
) -> AgentSettings:
    """What the agent speaks: `--driver`; else the language of `--profile` (a profile names
    the printer attached); else the kiosk's record, followed as the server tells it, starting
    from enrolment's answer or what the server said last (a restart while it is away).
    A profile of another language than the driver is refused here, before any job."""
    driver: str | None = args.driver
    if driver is None and args.profile:
        driver = get_profile(args.profile).language
    follow = driver is None
    if follow:
        driver = enrolled or journal.remembered("driver")
        if driver:
            journal.remember("driver", driver)
    driver = driver or "tspl"
    if args.profile:
        get_driver(driver, args.profile)
    return AgentSettings(
        printer_url=args.printer,
        driver=driver,
        follow_terminal_driver=follow,
        profile=args.profile,
        mode=args.mode,
        poll_interval=args.poll,
        heartbeat_interval=args.heartbeat,
        crash_after_print=args.crash_after_print,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    log = logging.getLogger("traceability-kiosk")
    try:
        make_transport(args.printer)  # a mistyped URL stops here, not at the first job
    except TransportError as exc:
        log.error("%s / %s", exc.message_zh, exc.message_en)
        return 2
    credential_file = Path(args.credential)
    driver = args.driver
    if args.enrol:
        try:
            answer = KioskClient(args.server).enrol(args.enrol)
        except (ServerError, ServerRefused, ServerUnavailable) as exc:
            log.error("enrolment failed / 开通失败: %s", exc)
            return 2
        _save_credential(credential_file, answer["credential"])
        driver = driver or answer.get("driver")
        log.info(
            "enrolled as terminal %s; credential saved to %s",
            answer["terminal_id"],
            credential_file,
        )
        if args.enrol_only:
            return 0
    if not credential_file.exists():
        log.error(
            "no credential file %s: enrol first with --enrol CODE / 请先开通终端", credential_file
        )
        return 2
    credential = credential_file.read_text("utf-8").strip()
    journal = Journal(args.journal)
    try:
        settings = agent_settings(args, journal, driver)
    except PrinterError as exc:  # an unknown profile, or one of another language
        log.error("%s / %s", exc.message_zh, exc.message_en)
        journal.close()
        return 2
    agent = Agent(KioskClient(args.server, credential), journal, settings)
    scale = None
    if args.scale:
        from printers.agent.scale import ScaleReader

        scale = ScaleReader(args.scale)
        threading.Thread(target=scale.run, daemon=True).start()
    if args.local_port:
        from printers.agent.local import serve_local

        serve_local(agent, scale, args.local_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log.info(
        "agent %s: server %s, printer %s (%s)",
        AGENT_VERSION,
        args.server,
        args.printer,
        settings.driver + (", as the kiosk's record says" * settings.follow_terminal_driver),
    )
    try:
        agent.run(stop, until_idle=args.until_idle)
    except ServerRefused:
        return 3
    finally:
        journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
