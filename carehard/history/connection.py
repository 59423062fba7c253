"""Opening the history file: read-write for what records, read-only for what only reads (so a
copied history on a read-only mount can be read), and every SQLite or OS error turned into one
HistoryError line that names the file and what to do."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from carehard.errors import HistoryError
from carehard.history.schema import SCHEMA_VERSION, upgrade

_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_READ_ONLY = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")


def is_damage(exc: sqlite3.Error) -> bool:
    """The file is not a readable SQLite database (truncated, overwritten, corrupt pages)."""
    return str(getattr(exc, "sqlite_errorname", "")).startswith(_DAMAGED)


def _nearest_existing(path: Path) -> Path:
    """`path`, or its nearest parent that exists (before the first run, the history is not there)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def no_space(path: Path) -> bool:
    """The filesystem of `path` (or of its nearest existing parent) has no free block left."""
    try:
        stats = os.statvfs(_nearest_existing(path))
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < 64 * 1024


def explain(exc: BaseException, path: Path) -> str:
    """One line: what keeps the history at `path` from being used, and what to do."""
    name = str(getattr(exc, "sqlite_errorname", ""))
    code = getattr(exc, "errno", None)
    if isinstance(exc, sqlite3.Error) and is_damage(exc):
        return (
            f"the history {path} is damaged ({exc}): `carehard history rebuild` sets it aside "
            "and salvages the runs it can read"
        )
    if name.startswith("SQLITE_FULL") or code == errno.ENOSPC or no_space(path):
        return (
            f"no space left on the disk of the state directory {path.parent}: "
            f"the history {path} cannot be written"
        )
    denied = name.startswith(_READ_ONLY) or code in (errno.EROFS, errno.EACCES, errno.EPERM)
    if denied and not writable(path):
        return f"the state directory {path.parent} is read-only: the history {path} cannot be written"
    detail = getattr(exc, "strerror", None) or exc
    return f"the history {path} cannot be used: {detail}"


def writable(path: Path) -> bool:
    """The history file (or, before the first run, the directory that will hold it) can be written."""
    existing = _nearest_existing(path)
    if existing == path and not os.access(path.parent, os.W_OK):
        return False  # SQLite creates the -wal and -shm files beside it
    return os.access(existing, os.W_OK)


@contextmanager
def writing(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-write connection, the file created or upgraded first."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path, timeout=30)) as db:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            upgrade(db)
            yield db
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError):
        raise  # carehard's own mistake, not the file's
    except (sqlite3.Error, OSError) as exc:
        raise HistoryError(explain(exc, path)) from None


@contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to an existing history (callers check that it exists)."""
    try:
        with closing(open_read_only(path)) as db:
            if _schema_version(db) >= SCHEMA_VERSION or not writable(path):
                yield db
                return
        with writing(path):  # an older carehard's file: upgraded once, then read
            pass
        with closing(open_read_only(path)) as db:
            yield db
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError):
        raise  # carehard's own mistake, not the file's
    except (sqlite3.Error, OSError) as exc:
        raise HistoryError(explain(exc, path)) from None


def open_read_only(path: Path) -> sqlite3.Connection:
    """`mode=ro`; where not even SQLite's -shm file can be made beside it (a read-only mount or
    directory), `immutable=1`, which reads the file as it is (a -wal left beside it is not read)."""
    uri = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError as exc:
        if not str(getattr(exc, "sqlite_errorname", "")).startswith(_READ_ONLY):
            raise
    db = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return db


def _schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])
