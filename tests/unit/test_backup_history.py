"""The history of backup verifications and canaries: round trips, per-set trend, upgrade of old files."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from carehard.history import SCHEMA_VERSION, History
from carehard.model import BackupCheck, CanaryRecord, RunRecord


def run(run_id: str, started: str) -> RunRecord:
    return RunRecord(
        run_id, "backup", started, started, "0.1.0", 1, {"sets": ["DPI", "PACS"]}, ["BK-AGE-01"], 0
    )


def check(run_id: str, backup_set: str, checked_at: str, **fields: Any) -> BackupCheck:
    values: dict[str, Any] = {
        "verdict": "pass",
        "snapshot_time": "2026-11-24T23:00:00Z",
        "snapshot_age_seconds": 3600,
        "check_ok": True,
        "restore_seconds": 1.5,
        "restore_bytes": 1048576,
        "throughput": 699050.7,
        "rto_estimate_seconds": 120.0,
        "measures": {"primary": {"snapshot": {"short_id": "abcd1234"}, "locks": 0}},
    }
    values.update(fields)
    return BackupCheck(run_id=run_id, backup_set=backup_set, checked_at=checked_at, **values)


UNMEASURED = (
    "snapshot_time",
    "snapshot_age_seconds",
    "check_ok",
    "restore_seconds",
    "restore_bytes",
    "throughput",
    "rto_estimate_seconds",
)
RUNS = [
    ("20261122T060000Z-aaaaaa", "2026-11-22T06:00:00+00:00"),
    ("20261123T060000Z-bbbbbb", "2026-11-23T06:00:00+00:00"),
    ("20261124T060000Z-cccccc", "2026-11-24T06:00:00+00:00"),
]


@pytest.fixture
def history(tmp_path: Path) -> tuple[History, list[BackupCheck]]:
    """Three nightly runs: DPI checked each night, PACS the first and last; saved out of order."""
    history = History(tmp_path / "history.db")
    for run_id, started in RUNS:
        history.save(run(run_id, started))
    (r1, t1), (r2, t2), (r3, t3) = RUNS
    checks = [
        check(r1, "DPI", t1, verdict="fail", check_ok=False, measures={"primary": {"check_ok": False}}),
        check(r1, "PACS", t1, verdict="unreachable", measures={}, **dict.fromkeys(UNMEASURED)),
        check(r2, "DPI", t2),
        check(r3, "DPI", t3, verdict="error"),
        check(r3, "PACS", t3),
    ]
    history.save_backup_checks([checks[3], checks[0]])
    history.save_backup_checks([checks[1], checks[4], checks[2]])
    return history, checks


def test_backup_checks_round_trip_newest_first(history: tuple[History, list[BackupCheck]]) -> None:
    store, checks = history
    dpi_1, pacs_1, dpi_2, dpi_3, pacs_3 = checks
    everything = store.backup_checks()
    (_, t1), (_, t2), (_, t3) = RUNS
    assert [c.checked_at for c in everything] == [t3, t3, t2, t1, t1]
    # Every field comes back as saved: None stays None, False stays False, measures stay a mapping.
    assert sorted(everything, key=lambda c: (c.checked_at, c.backup_set)) == [
        dpi_1,
        pacs_1,
        dpi_2,
        dpi_3,
        pacs_3,
    ]
    assert store.backup_checks("DPI") == [dpi_3, dpi_2, dpi_1]
    assert store.backup_checks("PACS") == [pacs_3, pacs_1]
    assert store.backup_checks("RIS") == []


def test_backup_checks_limit_applies_per_set(history: tuple[History, list[BackupCheck]]) -> None:
    store, checks = history
    _dpi_1, pacs_1, dpi_2, dpi_3, pacs_3 = checks
    last_two = store.backup_checks(limit=2)
    assert [c for c in last_two if c.backup_set == "DPI"] == [dpi_3, dpi_2]
    assert [c for c in last_two if c.backup_set == "PACS"] == [pacs_3, pacs_1]
    assert len(last_two) == 4
    assert store.backup_checks("DPI", limit=1) == [dpi_3]
    assert store.backup_checks("PACS", limit=5) == [pacs_3, pacs_1]


def test_a_backup_check_needs_its_run(tmp_path: Path) -> None:
    store = History(tmp_path / "history.db")
    with pytest.raises(sqlite3.IntegrityError):
        store.save_backup_checks([check("no-such-run", "DPI", "2026-11-24T06:00:00+00:00")])
    assert store.backup_checks() == []


def test_canaries_round_trip_oldest_first(tmp_path: Path) -> None:
    store = History(tmp_path / "history.db")
    later = CanaryRecord(
        "DPI", "dpi-01", "/var/lib/dpi/.canary", "2026-11-24T01:00:00Z", "b" * 64, 1795914000, "r2"
    )
    earlier = CanaryRecord(
        "DPI", "dpi-01", "/var/lib/dpi/.canary", "2026-11-23T01:00:00Z", "a" * 64, 1795827600, "r1"
    )
    other = CanaryRecord(
        "PACS", "pacs-01", "/srv/pacs/.canary", "2026-11-23T12:00:00Z", "c" * 64, 1795867200, "r1"
    )
    for canary in (later, earlier, other):
        store.add_canary(canary)
    assert store.canaries() == [earlier, other, later]


def test_reading_an_absent_history_creates_nothing(tmp_path: Path) -> None:
    store = History(tmp_path / "none" / "history.db")
    assert store.backup_checks() == []
    assert store.canaries() == []
    assert not (tmp_path / "none").exists()


def test_a_version_3_history_is_upgraded_keeping_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    History(path).save(run(*RUNS[0]))
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TABLE backup_checks")
        db.execute("DROP TABLE canaries")
        db.execute("PRAGMA user_version = 3")
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'backup_checks'").fetchone() is None

    store = History(path)
    loaded = store.load(RUNS[0][0])
    assert loaded is not None
    assert loaded.mode == "backup"
    assert loaded.selection == {"sets": ["DPI", "PACS"]}
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"backup_checks", "backup_checks_by_set", "canaries", "runs", "vendor_windows"} <= tables

    saved = check(RUNS[0][0], "DPI", RUNS[0][1])
    store.save_backup_checks([saved])
    canary = CanaryRecord("DPI", "dpi-01", "/var/lib/dpi/.canary", "2026-11-22T01:00:00Z", "a" * 64, 1, "r")
    store.add_canary(canary)
    assert store.backup_checks() == [saved]
    assert store.canaries() == [canary]
    assert store.last_run_id() == RUNS[0][0]
