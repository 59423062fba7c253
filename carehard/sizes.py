"""Sizes as the command line and the config file write them (500M, 5G, 1.5G), and as people read them
(88.3 MB). K, M, G and T count in 1024s, as du -h and journald's size settings do."""

from __future__ import annotations

import re

from carehard.errors import UsageError

SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([KMGT])$", re.IGNORECASE)
UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
NAMES = (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024))


def parse_size(text: str, what: str) -> int:
    """Bytes of a size like 500M, 5G or 1.5G: a number above 0 and one unit, nothing else."""
    match = SIZE.match(str(text).strip())
    amount = float(match.group(1)) if match else 0.0
    if match is None or amount <= 0:
        raise UsageError(
            f"{what} '{text}' is not a size: give a number above 0 and a unit K, M, G or T,"
            " like 500M, 5G or 1.5G"
        )
    return int(amount * UNITS[match.group(2).upper()])


def format_size(size: float) -> str:
    """A size for people: 512 B, 4 KB, 88.3 MB, 5 GB (one decimal, left out when it is 0)."""
    for name, unit in NAMES:
        if round(size / unit, 1) >= 1:
            return f"{_one_decimal(size / unit)} {name}"
    return f"{int(size)} B"


def _one_decimal(number: float) -> str:
    return f"{round(number, 1):.1f}".removesuffix(".0")
