"""One carehard run of a kind at a time: an exclusive flock in the state dir, taken before any write.

audit and harden share a lock (they touch the same hosts); backup verify has its own. The kernel
drops a flock when its process dies, however it dies, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from carehard.errors import UsageError
from carehard.paths import state_dir

# command -> lock name: commands that must not overlap share a name.
LOCKS = {"audit": "audit-harden", "harden": "audit-harden", "backup verify": "backup-verify"}

F = TypeVar("F", bound=Callable[..., Any])


class LockHeld(UsageError):
    """Another carehard run holds the lock this command needs."""


def lock_path(command: str) -> Path:
    return state_dir() / "locks" / f"{LOCKS[command]}.lock"


@contextmanager
def run_lock(command: str) -> Iterator[Path]:
    """Hold the lock of `command` (a key of LOCKS) for the block, or raise LockHeld at once."""
    path = lock_path(command)
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


def locked(command: str) -> Callable[[F], F]:
    """Decorator: the command runs holding the lock of `command` (see run_lock)."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with run_lock(command):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _record(fd: int, command: str) -> None:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
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
