"""One carehard run of a kind at a time: an exclusive flock in the state dir, taken before any write.

Each job names its lock in its policy (carehard.jobs): every job that runs on the fleet's hosts
(audit, harden, facts, vendor windows, backup canaries) shares HOSTS, so nothing changes a host
while another run reads or changes it; backup verify and exposure scan have their own. The kernel
drops a flock when its process dies, however it dies, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from carehard import clock
from carehard.errors import UsageError
from carehard.paths import state_dir

HOSTS = "audit-harden"  # the name predates the other jobs that share it
BACKUPS = "backup-verify"
EXPOSURE = "exposure-scan"


class LockHeld(UsageError):
    """Another carehard run holds the lock this command needs."""


def lock_path(lock: str) -> Path:
    return state_dir() / "locks" / f"{lock}.lock"


@contextmanager
def run_lock(lock: str, command: str) -> Iterator[Path]:
    """Hold `lock` for the block on behalf of `command` (e.g. "audit"), or raise LockHeld at once."""
    path = lock_path(lock)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Opened without truncating: the holder's record must survive until we know we hold it.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise UsageError(f"cannot open the run lock {path}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(_held_message(command, path, fd)) from None
        _record(fd, command)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)  # before the unlock: a later reader never sees a finished run's record
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _record(fd: int, command: str) -> None:
    started = clock.now().strftime("%Y-%m-%d %H:%M:%S UTC")
    record = json.dumps({"pid": os.getpid(), "command": f"carehard {command}", "started": started})
    os.ftruncate(fd, 0)
    os.pwrite(fd, (record + "\n").encode(), 0)


def _held_message(command: str, path: Path, fd: int) -> str:
    holder = _read_record(fd)
    running = holder.get("command") or f"carehard {command}"
    pid = holder.get("pid", "unknown")
    since = f" since {holder['started']}" if holder.get("started") else ""
    return f"another {running} is running (pid {pid}{since}; lock {path}): not started"


def _read_record(fd: int) -> dict[str, Any]:
    """The holder's record; empty when it has not written it yet or it is unreadable."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
