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
