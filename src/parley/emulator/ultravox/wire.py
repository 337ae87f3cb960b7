"""Ultravox's wire conventions: ISO-8601 timestamps and protobuf Duration strings.

Every timestamp the emulated API returns is built from the emulator clock with `iso()`, and
every duration (`joinTimeout`, `maxDuration`, `billedDuration`, message timespans) travels as
a protobuf Duration string such as `"30s"` or `"0.5s"`, as the real API does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

DURATION = re.compile(r"^-?(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,9})?s$")


def iso(ts: float) -> str:
    """DRF renders datetimes as ISO-8601 with microseconds and a `Z` suffix."""
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def duration(seconds: float) -> str:
    """`12.5` -> `"12.500s"`, `30` -> `"30s"` (protobuf prints 0, 3, 6 or 9 fractional digits)."""
    millis = round(seconds * 1000)
    whole, frac = divmod(abs(millis), 1000)
    sign = "-" if millis < 0 else ""
    return f"{sign}{whole}s" if frac == 0 else f"{sign}{whole}.{frac:03d}s"


def parse_duration(text: str) -> float:
    if not DURATION.match(text):
        raise ValueError(f"invalid duration {text!r}")
    return float(text[:-1])


def parse_duration_filter(text: str) -> float:
    """List filters accept `"90s"` as well as a bare number of seconds."""
    return parse_duration(text) if text.endswith("s") else float(text)
