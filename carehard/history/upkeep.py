"""Keeping the history usable: the cheap check before each run, a damaged file set aside (renamed
with the time, never deleted), and the rows that can still be read copied into a fresh history."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from carehard.errors import HistoryError
from carehard.history.connection import explain, is_damage, open_read_only, writing

# In the order their references need: hosts and results name a run.
TABLES = ("runs", "hosts", "results", "vendor_windows", "backup_checks", "canaries")
_NUMBERED = ("vendor_windows", "canaries")  # keyed by an AUTOINCREMENT id, which a merge renumbers


def problem_of(path: Path, thorough: bool = False) -> str | None:
    """None when the history passes SQLite's check (quick_check, or integrity_check when
    `thorough`), else the first problem found. HistoryError when it cannot be read at all for
    another reason (permissions, I/O)."""
    try:
        with closing(open_read_only(path)) as db:
            rows = db.execute("PRAGMA integrity_check" if thorough else "PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        if is_damage(exc):
            return str(exc)
        raise HistoryError(explain(exc, path)) from None
    return None if rows == [("ok",)] else str(rows[0][0])


def set_aside(path: Path) -> Path:
    """Rename the history (and its -wal/-shm, which may hold rows) to `<name>.damaged-<UTC time>`."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    count = 1
    while aside.exists():
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{count}")
        count += 1
    os.rename(path, aside)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.rename(side, aside.with_name(aside.name + suffix))
    return aside


def check_before_run(path: Path) -> str | None:
    """Before a run that records: a damaged history is set aside so that the run is recorded in a
    fresh one; returns the notice saying so. Any other trouble (a full disk...) is left to the save,
    which reports it without losing the run's reports."""
    if not path.exists():
        return None
    try:
        problem = problem_of(path)
        if problem is None:
            return None
        aside = set_aside(path)
    except (HistoryError, OSError):
        return None
    return (
        f"the history {path} was damaged ({problem}): set aside as {aside}; this run starts a fresh "
        f"history (`carehard history rebuild --from {aside}` copies back the runs it can read)"
    )


def salvage(source: Path, target: Path) -> dict[str, int]:
    """Copy every row that can be read from `source` (a damaged or set-aside history) into the
    history at `target`, table by table, in rowid order: a damaged page ends its table's copy.
    Rows already there are kept (a second salvage adds nothing). Returns the rows copied per table."""
    copied = dict.fromkeys(TABLES, 0)
    with writing(target) as db:
        try:
            src = open_read_only(source)
        except sqlite3.Error:
            return copied  # not a database any more: nothing to read
        with closing(src):
            for table in TABLES:
                copied[table] = _copy_table(src, db, table)
    return copied


def _copy_table(src: sqlite3.Connection, db: sqlite3.Connection, table: str) -> int:
    wanted = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    try:
        have = [row[1] for row in src.execute(f"PRAGMA table_info({table})")]
    except sqlite3.Error:
        return 0
    columns = [c for c in have if c in wanted and not (table in _NUMBERED and c == "id")]
    if not columns:
        return 0
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    if table in _NUMBERED:
        same = " AND ".join(f"{c} IS ?" for c in columns)
        insert = (
            f"INSERT INTO {table} ({names}) SELECT {marks}"
            f" WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {same})"
        )
    else:
        insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})"
    count = 0
    with db:
        # Forwards until a damaged page, then backwards to it: the rows on both sides of it.
        for order in ("ASC", "DESC"):
            for row in _readable_rows(src, f"SELECT {names} FROM {table} ORDER BY rowid {order}"):
                try:
                    count += db.execute(insert, row + row if table in _NUMBERED else row).rowcount
                except sqlite3.IntegrityError:
                    continue  # a host or result whose run was lost
    return count


def _readable_rows(src: sqlite3.Connection, query: str) -> Iterator[tuple[Any, ...]]:
    """The rows of the query up to the first that cannot be read."""
    try:
        cursor = src.execute(query)
        while (row := cursor.fetchone()) is not None:
            yield row
    except sqlite3.Error:
        return
