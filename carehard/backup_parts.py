"""Which part of a backup set's data packs `restic check` reads tonight, and when each was last read.

A set with a read cycle of N nights is checked with `--read-data-subset k/N`, k going round 1..N
from one night to the next, so that every pack is read once per cycle; a `--read-data` night reads
them all. The history's checks say which part each night read (measures.primary.check_part).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehard.backups import BackupSet
from carehard.history import History


def check_parts(history: History, sets: Sequence[BackupSet]) -> dict[str, dict[str, Any]]:
    """Per set with a read cycle: {"part": "k/N" to read tonight, "last_read": {"j/N": checked_at}}."""
    plan: dict[str, dict[str, Any]] = {}
    for backup_set in sets:
        cycle = backup_set.read_cycle
        if cycle is None:
            continue
        last_read: dict[int, str] = {}
        previous: int | None = None
        for check in history.backup_checks(backup_set.name):  # newest first
            parts = parts_read(check.measures, cycle)
            if not parts:
                continue
            if previous is None and len(parts) == 1:
                previous = parts[0]
            for part in parts:
                last_read.setdefault(part, check.checked_at)
        tonight = previous % cycle + 1 if previous is not None else 1
        plan[backup_set.name] = {
            "part": f"{tonight}/{cycle}",
            "last_read": {f"{part}/{cycle}": at for part, at in sorted(last_read.items())},
        }
    return plan


def parts_read(measures: dict[str, Any], cycle: int) -> list[int]:
    """The parts of an N-night cycle a recorded check read: one, all (--read-data), or none (another
    cycle's part, a random sample, a check that did not run)."""
    part = (measures.get("primary") or {}).get("check_part")
    if part == "all":
        return list(range(1, cycle + 1))
    if isinstance(part, str) and "/" in part:
        number, _, total = part.partition("/")
        if total == str(cycle) and number.isdigit() and 1 <= int(number) <= cycle:
            return [int(number)]
    return []
