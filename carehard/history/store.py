"""The SQLite history of runs and their results: what every report renders from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from carehard.history.connection import reading, writing
from carehard.model import (
    BackupCheck,
    CanaryRecord,
    ControlResult,
    HostFacts,
    HostOutcome,
    RunRecord,
    RunSummary,
    WindowRecord,
)
from carehard.paths import recorded_inventory


class History:
    """The store; every method raises HistoryError (one line) when the file cannot be used."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def prepare(self) -> None:
        """Create or upgrade the history file."""
        with writing(self.path):
            pass

    def save(self, run: RunRecord) -> None:
        """Store a run and all its results in one transaction: all or nothing."""
        with writing(self.path) as db, db:
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
        if not self.path.exists():
            return None
        with reading(self.path) as db:
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
        ids = self.run_ids(limit=1)
        return ids[0] if ids else None

    def run_ids(self, prefix: str = "", limit: int = 0) -> list[str]:
        """The ids of the runs (those starting with prefix), newest first."""
        if not self.path.exists():
            return []
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with reading(self.path) as db:
            rows = db.execute(
                "SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY started DESC, id DESC"
                + (f" LIMIT {int(limit)}" if limit > 0 else ""),
                (escaped + "%",),
            ).fetchall()
        return [str(row[0]) for row in rows if str(row[0]).startswith(prefix)]  # LIKE ignores case

    def newest_host_facts(
        self, mode: str | None = None, holding: str | None = None, until: str | None = None
    ) -> dict[str, HostFacts]:
        """Per host, its row in the newest run (of this `mode`; whose facts hold the key `holding`;
        started at or before `until`), by host name."""
        if not self.path.exists():
            return {}
        if holding is not None and not holding.isidentifier():
            raise ValueError(f"not a fact key: {holding!r}")
        path = None if holding is None else f"$.{holding}"
        query = (
            "SELECT name, run_id, mode, started, reachable, facts FROM ("
            " SELECT h.name, h.run_id, r.mode, r.started, h.reachable, h.facts, ROW_NUMBER() OVER"
            " (PARTITION BY h.name ORDER BY r.started DESC, r.id DESC) AS newest"
            " FROM hosts h JOIN runs r ON r.id = h.run_id"
            " WHERE (?1 IS NULL OR r.mode = ?1) AND (?2 IS NULL OR r.started <= ?2)"
            # instr first: a cheap look for the key before JSON parses each row's facts
            " AND (?3 IS NULL OR (instr(h.facts, ?4) > 0 AND json_extract(h.facts, ?3) IS NOT NULL))"
            ") WHERE newest = 1 ORDER BY name"
        )
        with reading(self.path) as db:
            rows = db.execute(query, (mode, until, path, f'"{holding}"')).fetchall()
        return {
            name: HostFacts(name, run_id, run_mode, started, bool(reachable), json.loads(facts))
            for name, run_id, run_mode, started, reachable, facts in rows
        }

    def open_windows(self, records: list[WindowRecord]) -> None:
        """Record new windows; a window still open for the same vendor and host is replaced (closed now)."""
        with writing(self.path) as db, db:
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
        with writing(self.path) as db, db:
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
        with reading(self.path) as db:
            rows = db.execute(
                "SELECT vendor, account, host, opened_by, opened_at, reason, ends_at, run_id,"
                " closed_by, closed_at FROM vendor_windows ORDER BY opened_at DESC, id DESC"
            ).fetchall()
        return [WindowRecord(*row) for row in rows]

    def save_backup_checks(self, checks: list[BackupCheck]) -> None:
        with writing(self.path) as db, db:
            db.executemany(
                "INSERT INTO backup_checks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.run_id,
                        c.backup_set,
                        c.checked_at,
                        c.verdict,
                        c.snapshot_time,
                        c.snapshot_age_seconds,
                        None if c.check_ok is None else int(c.check_ok),
                        c.restore_seconds,
                        c.restore_bytes,
                        c.throughput,
                        c.rto_estimate_seconds,
                        json.dumps(c.measures),
                    )
                    for c in checks
                ],
            )

    def backup_checks(self, backup_set: str | None = None, limit: int = 0) -> list[BackupCheck]:
        """Verifications, newest first (the last `limit` per set when limit > 0)."""
        if not self.path.exists():
            return []
        query = "SELECT * FROM backup_checks"
        args: tuple[Any, ...] = ()
        if backup_set:
            query += " WHERE backup_set = ?"
            args = (backup_set,)
        query += " ORDER BY checked_at DESC, run_id DESC"
        with reading(self.path) as db:
            rows = db.execute(query, args).fetchall()
        checks = [
            BackupCheck(
                run_id=row[0],
                backup_set=row[1],
                checked_at=row[2],
                verdict=row[3],
                snapshot_time=row[4],
                snapshot_age_seconds=row[5],
                check_ok=None if row[6] is None else bool(row[6]),
                restore_seconds=row[7],
                restore_bytes=row[8],
                throughput=row[9],
                rto_estimate_seconds=row[10],
                measures=json.loads(row[11]),
            )
            for row in rows
        ]
        if limit > 0:
            counts: dict[str, int] = {}
            kept = []
            for check in checks:
                counts[check.backup_set] = counts.get(check.backup_set, 0) + 1
                if counts[check.backup_set] <= limit:
                    kept.append(check)
            checks = kept
        return checks

    def add_canary(self, canary: CanaryRecord) -> None:
        with writing(self.path) as db, db:
            db.execute(
                "INSERT INTO canaries (backup_set, host, path, written_at, sha256, mtime, run_id)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    canary.backup_set,
                    canary.host,
                    canary.path,
                    canary.written_at,
                    canary.sha256,
                    canary.mtime,
                    canary.run_id,
                ),
            )

    def canaries(self) -> list[CanaryRecord]:
        """Every canary written, oldest first."""
        if not self.path.exists():
            return []
        with reading(self.path) as db:
            rows = db.execute(
                "SELECT backup_set, host, path, written_at, sha256, mtime, run_id FROM canaries"
                " ORDER BY written_at, id"
            ).fetchall()
        return [CanaryRecord(*row) for row in rows]

    def runs(self, limit: int = 0) -> list[RunSummary]:
        """The runs, newest first, with their counts per status."""
        if not self.path.exists():
            return []
        with reading(self.path) as db:
            rows = db.execute(
                "SELECT id, mode, started, finished, selection, exit_code FROM runs"
                " ORDER BY started DESC, id DESC" + (f" LIMIT {int(limit)}" if limit > 0 else "")
            ).fetchall()
            counts: dict[str, dict[str, int]] = {}
            for run_id, status, count in db.execute(
                "SELECT run_id, status, COUNT(*) FROM results GROUP BY run_id, status"
            ):
                counts.setdefault(run_id, {})[status] = count
        return [
            RunSummary(
                id=row[0],
                mode=row[1],
                started=row[2],
                finished=row[3],
                inventory=recorded_inventory(str(json.loads(row[4]).get("inventory", ""))),
                exit_code=row[5],
                counts=counts.get(row[0], {}),
            )
            for row in rows
        ]
