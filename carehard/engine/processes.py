"""Every process a playbook run started, found by a mark in its environment, and stopped for good.

A process group is not enough: ansible-playbook's workers each call setsid() (they leave its
session and group), and ssh's ControlPersist masters detach too. Once ansible-playbook is gone they
are PPID 1 and nothing links them to the run, except the environment they all inherit from it.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import suppress
from pathlib import Path

MARK_VARIABLE = "CAREHARD_RUN_MARK"
PROC = Path("/proc")


def running(mark: str) -> list[int]:
    """The live processes carrying `mark` (a zombie has no environment left: it is not listed)."""
    needle = f"{MARK_VARIABLE}={mark}".encode()
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit() and _marked(int(entry.name), needle):
            found.append(int(entry.name))
    return found


def signal_all(mark: str, signum: int) -> int:
    """Send `signum` to every process carrying `mark`; how many there were."""
    needle = f"{MARK_VARIABLE}={mark}".encode()
    sent = 0
    for pid in running(mark):
        # Through a pidfd, checked again after it is opened: a pid reused in between is not signalled.
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            continue
        try:
            if _marked(pid, needle):
                signal.pidfd_send_signal(pidfd, signum)
                sent += 1
        except OSError:
            pass
        finally:
            os.close(pidfd)
    return sent


def stop(mark: str, grace: float, kill_wait: float = 10.0) -> list[int]:
    """SIGTERM every process of the run, wait up to `grace` seconds, then SIGKILL what is left.
    Returns the processes still alive after that (none, unless the kernel cannot kill them)."""
    if not signal_all(mark, signal.SIGTERM):
        return []
    if wait_gone(mark, grace):
        return []
    signal_all(mark, signal.SIGKILL)
    wait_gone(mark, kill_wait)
    return running(mark)


def wait_gone(mark: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while running(mark):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _marked(pid: int, needle: bytes) -> bool:
    if pid == os.getpid():
        return False
    with suppress(OSError):
        return needle in (PROC / str(pid) / "environ").read_bytes().split(b"\0")
    return False
