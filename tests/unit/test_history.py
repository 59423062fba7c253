"""The SQLite history: a run and its results round-trip; older history files are upgraded."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from carehard.history import SCHEMA_VERSION, History
from carehard.model import ControlResult, HostOutcome, RunRecord


def record(run_id: str = "20261125T120000Z-abc123", started: str = "2026-11-25T12:00:00+00:00") -> RunRecord:
    host = HostOutcome(
        "ws-01",
        facts={"os": "Debian"},
        errors=["boom"],
        results={"WL-SSH-01": ControlResult("WL-SSH-01", "waived", "waived until 2099-01-01: x")},
        waivers=[{"id": "WL-SSH-01", "reason": "x", "expiry": "2099-01-01", "active": True}],
    )
    return RunRecord(
        run_id,
        "audit",
        started,
        started,
        "0.1.0",
        2,
        {"inventory": "local"},
        ["WL-SSH-01"],
        0,
        "/tmp/a",
        {"ws-01": host},
    )


def test_round_trip(tmp_path: Path) -> None:
    history = History(tmp_path / "h.db")
    history.save(record())
    loaded = history.load("20261125T120000Z-abc123")
    assert loaded is not None
    assert loaded.hosts["ws-01"].results["WL-SSH-01"].status == "waived"
    assert loaded.hosts["ws-01"].waivers[0]["reason"] == "x"
    assert loaded.hosts["ws-01"].errors == ["boom"]
    assert history.load("nope") is None


def test_last_run_is_the_newest(tmp_path: Path) -> None:
    history = History(tmp_path / "h.db")
    assert history.last_run_id() is None
    history.save(record("20261125T120000Z-aaaaaa", "2026-11-25T12:00:00+00:00"))
    history.save(record("20261126T120000Z-bbbbbb", "2026-11-26T12:00:00+00:00"))
    assert history.last_run_id() == "20261126T120000Z-bbbbbb"


def test_a_failed_save_leaves_nothing_half_written(tmp_path: Path) -> None:
    history = History(tmp_path / "h.db")
    history.save(record())
    with contextlib.suppress(sqlite3.IntegrityError):
        history.save(record())  # same run id: the insert fails
    with sqlite3.connect(tmp_path / "h.db") as db:
        assert db.execute("SELECT count(*) FROM results").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM hosts").fetchone()[0] == 1


def test_version_1_history_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE runs (id TEXT PRIMARY KEY, mode TEXT NOT NULL, started TEXT NOT NULL,
              finished TEXT NOT NULL, carehard_version TEXT NOT NULL, level INTEGER NOT NULL,
              selection TEXT NOT NULL, controls TEXT NOT NULL, exit_code INTEGER NOT NULL, artifacts TEXT);
            CREATE TABLE hosts (run_id TEXT NOT NULL, name TEXT NOT NULL, reachable INTEGER NOT NULL,
              facts TEXT NOT NULL, errors TEXT NOT NULL, PRIMARY KEY (run_id, name));
            CREATE TABLE results (run_id TEXT NOT NULL, host TEXT NOT NULL, control TEXT NOT NULL,
              status TEXT NOT NULL, evidence TEXT NOT NULL, PRIMARY KEY (run_id, host, control));
            INSERT INTO runs VALUES ('old', 'audit', 's', 'f', '0.0.1', 1, '{}', '[]', 0, NULL);
            INSERT INTO hosts VALUES ('old', 'ws-00', 1, '{}', '[]');
            PRAGMA user_version = 1;
            """
        )
    history = History(path)
    history.save(record())
    old = history.load("old")
    assert old is not None and old.hosts["ws-00"].waivers == []
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
