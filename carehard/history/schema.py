"""The history's tables, and the steps that upgrade a file written by an older carehard."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 4
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
_BACKUP_CHECKS = """
CREATE TABLE IF NOT EXISTS backup_checks (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    backup_set TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    snapshot_time TEXT,
    snapshot_age_seconds INTEGER,
    check_ok INTEGER,
    restore_seconds REAL,
    restore_bytes INTEGER,
    throughput REAL,
    rto_estimate_seconds REAL,
    measures TEXT NOT NULL,
    PRIMARY KEY (run_id, backup_set)
);
CREATE INDEX IF NOT EXISTS backup_checks_by_set ON backup_checks (backup_set, checked_at);
CREATE TABLE IF NOT EXISTS canaries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    backup_set TEXT NOT NULL,
    host TEXT NOT NULL,
    path TEXT NOT NULL,
    written_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    mtime INTEGER NOT NULL,
    run_id TEXT NOT NULL
)"""
# Steps from one schema version to the next, for history files written by older versions.
_MIGRATIONS = {
    2: "ALTER TABLE hosts ADD COLUMN waivers TEXT NOT NULL DEFAULT '[]'",
    3: _VENDOR_WINDOWS,
    4: _BACKUP_CHECKS,
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
    + _BACKUP_CHECKS
    + ";"
)


def upgrade(db: sqlite3.Connection) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        return
    fresh = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone() is None
    with db:
        if fresh:
            db.executescript(_SCHEMA)
        else:
            for step in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[step].split(";\n"):
                    db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
