"""carehard.engine.processes finds a run's processes by the mark in their environment, wherever
they went (another session, PPID 1), and stops them: SIGTERM, then SIGKILL after the grace."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

from carehard.engine import processes

# A process that leaves its session and ignores SIGTERM, as a stuck worker would.
STUBBORN = (
    "import os, signal, time; os.setsid(); signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
)
POLITE = "import os, time; os.setsid(); time.sleep(60)"


def spawn(code: str, mark: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, processes.MARK_VARIABLE: mark}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 10
    while proc.pid not in processes.running(mark) and time.monotonic() < deadline:
        time.sleep(0.01)
    return proc


def test_only_the_runs_own_processes_are_found() -> None:
    mark, other = uuid.uuid4().hex, uuid.uuid4().hex
    mine, theirs = spawn(POLITE, mark), spawn(POLITE, other)
    try:
        assert processes.running(mark) == [mine.pid]
        assert processes.stop(mark, grace=5) == []
        assert mine.wait(timeout=5) is not None
        assert theirs.poll() is None, "another run's process was stopped"
    finally:
        theirs.kill()
        theirs.wait()


def test_a_process_ignoring_sigterm_is_killed_after_the_grace() -> None:
    mark = uuid.uuid4().hex
    proc = spawn(STUBBORN, mark)
    time.sleep(0.2)  # let it install its SIGTERM handler
    started = time.monotonic()
    assert processes.stop(mark, grace=1) == []
    assert proc.wait(timeout=5) == -9
    assert 1 <= time.monotonic() - started < 5


def test_nothing_to_stop_returns_at_once() -> None:
    started = time.monotonic()
    assert processes.stop(uuid.uuid4().hex, grace=30) == []
    assert time.monotonic() - started < 2
