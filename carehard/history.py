"""The SQLite history of runs and their results: what every report renders from."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carehard.results import ControlResult, HostOutcome

SCHEMA_VERSION = 3
_VENDOR_WINDOWS = """
CREATE TABLE IF NOT EXISTS vendor_windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor TEXT NOT NULL,
    account TEXT NOT NULL,
    host TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    closed_by TEXT,
    closed_at TEXT,
    run_id TEXT NOT NULL
)"""
# Steps from one schema version to the next, for history files written by older versions.
_MIGRATIONS = {
    2: "ALTER TABLE hosts ADD COLUMN waivers TEXT NOT NULL DEFAULT '[]'",
    3: _VENDOR_WINDOWS,
}
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    carehard_version TEXT NOT NULL,
    level INTEGER NOT NULL,
    selection TEXT NOT NULL,
    controls TEXT NOT NULL,
    exit_code INTEGER NOT NULL,
    artifacts TEXT
);
CREATE TABLE IF NOT EXISTS hosts (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    reachable INTEGER NOT NULL,
    facts TEXT NOT NULL,
    errors TEXT NOT NULL,
    waivers TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    control TEXT NOT NULL,
    status TEXT NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (run_id, host, control)
);
CREATE INDEX IF NOT EXISTS results_by_control ON results (control, status);
"""
    + _VENDOR_WINDOWS
    + ";"
)


@dataclass(frozen=True)
class WindowRecord:
    vendor: str
    account: str
    host: str
    opened_by: str
    opened_at: str  # ISO 8601, UTC
    reason: str
    ends_at: str
    run_id: str
    closed_by: str | None = None
    closed_at: str | None = None

    def state(self, now: str) -> str:
        if self.closed_at is not None:
            return "closed"
        return "open" if self.ends_at > now else "ended"


@dataclass
class RunRecord:
    id: str
    mode: str
    started: str
    finished: str
    carehard_version: str
    level: int
    selection: dict[str, Any]
    controls: list[str]
    exit_code: int
    artifacts: str | None = None
    hosts: dict[str, HostOutcome] = field(default_factory=dict)


def _upgrade(db: sqlite3.Connection) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        return
    fresh = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone() is None
    with db:
        if fresh:
            db.executescript(_SCHEMA)
        else:
            for step in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                db.execute(_MIGRATIONS[step])
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


class History:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            _upgrade(db)
            yield db

    def prepare(self) -> None:
        """Create or upgrade the history file."""
        with self._connect():
            pass

    def save(self, run: RunRecord) -> None:
        """Store a run and all its results in one transaction: all or nothing."""
        with self._connect() as db, db:
            db.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    run.id,
                    run.mode,
                    run.started,
                    run.finished,
                    run.carehard_version,
                    run.level,
                    json.dumps(run.selection),
                    json.dumps(run.controls),
                    run.exit_code,
                    run.artifacts,
                ),
            )
            db.executemany(
                "INSERT INTO hosts VALUES (?,?,?,?,?,?)",
                [
                    (
                        run.id,
                        h.name,
                        int(h.reachable),
                        json.dumps(h.facts),
                        json.dumps(h.errors),
                        json.dumps(h.waivers),
                    )
                    for h in run.hosts.values()
                ],
            )
            db.executemany(
                "INSERT INTO results VALUES (?,?,?,?,?)",
                [
                    (run.id, h.name, r.control, r.status, r.evidence)
                    for h in run.hosts.values()
                    for r in h.results.values()
                ],
            )

    def load(self, run_id: str) -> RunRecord | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            run = RunRecord(
                id=row[0],
                mode=row[1],
                started=row[2],
                finished=row[3],
                carehard_version=row[4],
                level=row[5],
                selection=json.loads(row[6]),
                controls=json.loads(row[7]),
                exit_code=row[8],
                artifacts=row[9],
            )
            for name, reachable, facts, errors, waivers in db.execute(
                "SELECT name, reachable, facts, errors, waivers FROM hosts WHERE run_id = ? ORDER BY name",
                (run_id,),
            ):
                run.hosts[name] = HostOutcome(
                    name, bool(reachable), json.loads(facts), json.loads(errors), waivers=json.loads(waivers)
                )
            for host, control, status, evidence in db.execute(
                "SELECT host, control, status, evidence FROM results WHERE run_id = ? ORDER BY host, control",
                (run_id,),
            ):
                run.hosts[host].results[control] = ControlResult(control, status, evidence)
            return run

    def last_run_id(self) -> str | None:
        if not self.path.exists():
            return None
        with self._connect() as db:
            row = db.execute("SELECT id FROM runs ORDER BY started DESC, id DESC LIMIT 1").fetchone()
            return str(row[0]) if row else None

    def open_windows(self, records: list[WindowRecord]) -> None:
        """Record new windows; a window still open for the same vendor and host is replaced (closed now)."""
        with self._connect() as db, db:
            for w in records:
                db.execute(
                    "UPDATE vendor_windows SET closed_by = ?, closed_at = ? "
                    "WHERE vendor = ? AND host = ? AND closed_at IS NULL AND ends_at > ?",
                    (w.opened_by, w.opened_at, w.vendor, w.host, w.opened_at),
                )
                db.execute(
                    "INSERT INTO vendor_windows"
                    " (vendor, account, host, opened_by, opened_at, reason, ends_at, run_id)"
                    " VALUES (?,?,?,?,?,?,?,?)",
                    (w.vendor, w.account, w.host, w.opened_by, w.opened_at, w.reason, w.ends_at, w.run_id),
                )

    def close_windows(self, vendor: str, hosts: list[str], by: str, at: str) -> int:
        """Mark the windows of the vendor on these hosts closed now; how many were still open."""
        with self._connect() as db, db:
            cursor = db.executemany(
                "UPDATE vendor_windows SET closed_by = ?, closed_at = ? "
                "WHERE vendor = ? AND host = ? AND closed_at IS NULL AND ends_at > ?",
                [(by, at, vendor, host, at) for host in hosts],
            )
            return int(cursor.rowcount)

    def windows(self) -> list[WindowRecord]:
        """Every window, newest first."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT vendor, account, host, opened_by, opened_at, reason, ends_at, run_id,"
                " closed_by, closed_at FROM vendor_windows ORDER BY opened_at DESC, id DESC"
            ).fetchall()
        return [WindowRecord(*row) for row in rows]
