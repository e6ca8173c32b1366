"""`traceability-kiosk` refuses a printer URL it cannot use before it starts polling."""

from __future__ import annotations

from pathlib import Path

import pytest

from printers.agent.cli import main


@pytest.mark.parametrize(
    ("url", "named"),
    [("tcp://10.0.0.5:9100?timeout=five", "timeout=five"), ("usb://printer", "'usb'")],
)
def test_a_printer_url_it_cannot_use_stops_the_agent_with_both_languages(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, url: str, named: str
) -> None:
    credential = tmp_path / "credential"
    credential.write_text("secret\n")
    code = main(
        [
            "--server",
            "http://127.0.0.1:9",
            "--credential",
            str(credential),
            "--printer",
            url,
            "--journal",
            str(tmp_path / "journal.db"),
            "--until-idle",
        ]
    )
    assert code == 2
    assert "不支持的打印机地址" in caplog.text and named in caplog.text
    assert not (tmp_path / "journal.db").exists()  # it never got as far as its journal


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--server", "trace.example.cn", "不是服务地址"),
        ("--server", "ftp://trace.example.cn", "is not the service's address"),
        ("--server", "https://trace.example.cn:44x", "e.g. https://trace.example.cn"),
        ("--poll", "0", "大于 0 的秒数"),
        ("--heartbeat", "soon", "must be a number of seconds above 0"),
    ],
)
def test_a_server_address_or_interval_it_cannot_use_is_refused_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, says: str
) -> None:
    """A kiosk installer's typo is named at once, not as a failure at every poll."""
    arguments = {
        "--server": "https://trace.example.cn",
        "--credential": str(tmp_path / "credential"),
        "--printer": "tcp://10.0.0.5:9100",
        "--journal": str(tmp_path / "journal.db"),
        option: value,
    }
    with pytest.raises(SystemExit) as stopped:
        main([part for pair in arguments.items() for part in pair])
    assert stopped.value.code == 2  # argparse's usage error
    error = capsys.readouterr().err
    assert option in error and says in error
    assert not (tmp_path / "journal.db").exists()


def test_the_usual_server_addresses_and_intervals_are_accepted() -> None:
    from printers.agent.cli import parser

    args = parser().parse_args(
        ["--server", "http://10.0.0.2:8000/", "--credential", "c", "--printer", "file:///dev/null",
         "--poll", "0.5", "--heartbeat", "30"]
    )  # fmt: skip
    assert (args.server, args.poll, args.heartbeat) == ("http://10.0.0.2:8000/", 0.5, 30.0)


def test_the_agent_runs_as_python_dash_m_printers_agent() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "printers.agent", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--printer" in done.stdout
