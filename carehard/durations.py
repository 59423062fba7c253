"""Durations as the inventory and the command line write them (30m, 4h, 2d), and as people read them
in the terminal and the reports (45.2 s, 38 min, 55.6 h, 2.3 d)."""

from __future__ import annotations

import math
import re

from carehard.errors import UsageError

DURATION = re.compile(r"^([1-9][0-9]*)([smhdw])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

MINUTE, HOUR, DAY = 60, 3600, 86400


def parse_duration(text: str, what: str) -> int:
    """Seconds of a duration like 30m, 4h, 2d."""
    match = DURATION.match(str(text).strip().lower())
    if not match:
        raise UsageError(f"{what} '{text}' is not a duration: give a number and a unit, like 30m, 4h or 2d")
    return int(match.group(1)) * UNITS[match.group(2)]


def format_duration(seconds: float | None, unknown: str = "—") -> str:
    """A duration for people, the same in the terminal, the HTML and the Markdown reports.

    Each unit until it reaches twice the next one: seconds under 2 min (45.2 s), whole minutes under
    2 h (38 min), hours under 2 days (55.6 h), days beyond (2.3 d). Seconds, hours and days keep one
    decimal, left out when it is 0 (2 s, 4 h, 3 d). The unit is chosen on the rounded value, so a
    duration never shows as 120 s, 120 min or 48 h. `unknown` when there is no value (None, NaN or
    infinite).
    """
    if seconds is None:
        return unknown
    value = float(seconds)
    if not math.isfinite(value):
        return unknown
    if round(value, 1) < 2 * MINUTE:
        return f"{_one_decimal(value)} s"
    if round(value / MINUTE) < 2 * HOUR / MINUTE:
        return f"{round(value / MINUTE)} min"
    if round(value / HOUR, 1) < 2 * DAY / HOUR:
        return f"{_one_decimal(value / HOUR)} h"
    return f"{_one_decimal(value / DAY)} d"


def _one_decimal(number: float) -> str:
    text = f"{round(number, 1):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text
