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
from carehard.model import BackupCheck


def check_parts(history: History, sets: Sequence[BackupSet]) -> dict[str, dict[str, Any]]:
    """Per set with a read cycle: {"part": "k/N" to read tonight, "last_read": {"j/N": checked_at}}."""
    plan: dict[str, dict[str, Any]] = {}
    for backup_set in sets:
        cycle = backup_set.read_cycle
        if cycle is None:
            continue
        checks = history.backup_checks(backup_set.name)  # newest first
        tonight = 1
        for check in checks:
            parts = parts_read(check.measures, cycle)
            if len(parts) == 1:  # the last night that read one part (an --read-data night reads all)
                tonight = parts[0] % cycle + 1
                break
        plan[backup_set.name] = {
            "part": f"{tonight}/{cycle}",
            "last_read": {k: at for k, at in last_read(checks, cycle).items() if at is not None},
        }
    return plan


def last_read(checks: Sequence[BackupCheck], cycle: int) -> dict[str, str | None]:
    """{"k/N": when the newest of these checks (newest first) that read part k was made, or None}."""
    found: dict[int, str] = {}
    for check in checks:
        for part in parts_read(check.measures, cycle):
            found.setdefault(part, check.checked_at)
    return {f"{part}/{cycle}": found.get(part) for part in range(1, cycle + 1)}


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
