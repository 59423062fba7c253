"""The runs the history still points to as the newest of something, whose run directories
`carehard runs prune` keeps however old: the last run of each host (per inventory) and the last
verification of each backup set (per inventory)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carehard.history.connection import reading

# The inventory is compared as recorded (not as paths.recorded_inventory resolves it): an inventory an
# older carehard recorded under two spellings only keeps one run more.
_LAST_OF_HOSTS = """
SELECT run_id, name FROM (
    SELECT h.run_id, h.name, ROW_NUMBER() OVER (
        PARTITION BY json_extract(r.selection, '$.inventory'), h.name ORDER BY r.started DESC, r.id DESC
    ) AS newest
    FROM hosts h JOIN runs r ON r.id = h.run_id
) WHERE newest = 1 ORDER BY name
"""
_LAST_OF_SETS = """
SELECT run_id, backup_set FROM (
    SELECT b.run_id, b.backup_set, ROW_NUMBER() OVER (
        PARTITION BY json_extract(r.selection, '$.inventory'), b.backup_set
        ORDER BY b.checked_at DESC, b.run_id DESC
    ) AS newest
    FROM backup_checks b LEFT JOIN runs r ON r.id = b.run_id
) WHERE newest = 1 ORDER BY backup_set
"""


@dataclass(frozen=True)
class Pinned:
    """Why a run is still needed: the hosts and the backup sets it is the last run of."""

    hosts: tuple[str, ...] = ()
    backup_sets: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordedRuns:
    modes: dict[str, str]  # every run of the history: its mode, by id
    pinned: dict[str, Pinned]  # the runs still the last of a host or of a backup set, by id


def recorded_runs(path: Path) -> RecordedRuns:
    """What the history at `path` says of its runs (nothing when there is no history yet).
    HistoryError when it cannot be read: then nobody can say which runs are still needed."""
    if not path.exists():
        return RecordedRuns({}, {})
    hosts: dict[str, list[str]] = {}
    sets: dict[str, list[str]] = {}
    with reading(path) as db:
        modes = {str(run_id): str(mode) for run_id, mode in db.execute("SELECT id, mode FROM runs")}
        for run_id, host in db.execute(_LAST_OF_HOSTS):
            hosts.setdefault(str(run_id), []).append(str(host))
        for run_id, backup_set in db.execute(_LAST_OF_SETS):
            sets.setdefault(str(run_id), []).append(str(backup_set))
    pinned = {
        run_id: Pinned(tuple(hosts.get(run_id, ())), tuple(sets.get(run_id, ())))
        for run_id in hosts.keys() | sets.keys()
    }
    return RecordedRuns(modes, pinned)
