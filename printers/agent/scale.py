"""RS-232 scales: read weights and accept one only when it is stable.

Cheap kiosk scales stream lines like ``ST,GS,+  1.234kg`` (stable) or ``US,GS,…``
(unstable), or just a number. A reading counts as stable when the scale does not say
otherwise and the last `window` readings agree within `tolerance` kg.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

_NUMBER = re.compile(r"([+-]?\s*\d+(?:\.\d+)?)\s*(kg|g|lb|斤)?", re.IGNORECASE)
_TO_KG = {
    "kg": Decimal(1),
    "g": Decimal("0.001"),
    "lb": Decimal("0.45359237"),
    "斤": Decimal("0.5"),
}


@dataclass(frozen=True)
class Reading:
    kg: Decimal
    unstable_flag: bool


def parse_line(line: str) -> Reading | None:
    text = line.strip()
    match = _NUMBER.search(text)
    if not match:
        return None
    value = Decimal(match.group(1).replace(" ", ""))
    unit = (match.group(2) or "kg").lower() if match.group(2) != "斤" else "斤"
    return Reading((value * _TO_KG[unit]).quantize(Decimal("0.001")), text.upper().startswith("US"))


@dataclass(frozen=True)
class Weight:
    kg: Decimal
    stable: bool
    at: str

    def to_dict(self) -> dict[str, object]:
        return {"weight": str(self.kg), "unit": "kg", "stable": self.stable, "at": self.at}


class StabilityFilter:
    def __init__(self, window: int = 5, tolerance: Decimal = Decimal("0.005")) -> None:
        self.window = window
        self.tolerance = tolerance
        self._recent: deque[Reading] = deque(maxlen=window)

    def add(self, reading: Reading) -> Weight:
        self._recent.append(reading)
        values = [r.kg for r in self._recent]
        stable = (
            len(values) == self.window
            and not any(r.unstable_flag for r in self._recent)
            and max(values) - min(values) <= self.tolerance
            and reading.kg > 0
        )
        return Weight(reading.kg, stable, datetime.now(UTC).isoformat())


class ScaleReader:
    """Reads a serial scale in a thread; `latest` is the last weight (stable or not)."""

    def __init__(self, url: str, stability: StabilityFilter | None = None) -> None:
        self.url = url
        self.stability = stability or StabilityFilter()
        self.latest: Weight | None = None
        self._stop = threading.Event()

    def _open(self):  # type: ignore[no-untyped-def]
        import serial  # pyserial

        parts = urlsplit(self.url)
        baud = int(parse_qs(parts.query).get("baud", ["9600"])[0])
        if parts.scheme == "serial":
            return serial.Serial(parts.path, baudrate=baud, timeout=1)
        return serial.serial_for_url(self.url, baudrate=baud, timeout=1)

    def feed(self, line: str) -> Weight | None:
        reading = parse_line(line)
        if reading is None:
            return None
        self.latest = self.stability.add(reading)
        return self.latest

    def run(self) -> None:
        port = self._open()
        buffer = b""
        while not self._stop.is_set():
            chunk = port.read(64)
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                self.feed(line.decode("ascii", "replace"))
        port.close()

    def stop(self) -> None:
        self._stop.set()
