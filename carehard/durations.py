"""Durations as the inventory and the command line write them: 30m, 4h, 2d."""

from __future__ import annotations

import re

from carehard.errors import UsageError

DURATION = re.compile(r"^([1-9][0-9]*)([smhdw])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, what: str) -> int:
    """Seconds of a duration like 30m, 4h, 2d."""
    match = DURATION.match(str(text).strip().lower())
    if not match:
        raise UsageError(f"{what} '{text}' is not a duration: give a number and a unit, like 30m, 4h or 2d")
    return int(match.group(1)) * UNITS[match.group(2)]
