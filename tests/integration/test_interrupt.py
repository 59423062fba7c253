"""Ctrl-C or SIGTERM in the middle of `harden` stops every process of the run (ansible-playbook,
its workers, which each run in a session of their own, and ssh) before carehard exits and before it
releases the run lock; it records nothing half-done and exits 130 (143 for SIGTERM).

Each try marks carehard's environment with a variable of the test's own, which every process the run
starts inherits: the test finds them all without knowing how carehard does.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import CAREHARD
from tests.integration.own_hosts import harden_inventory, lock_held, own_hosts, processes_with
from tests.testhosts import harness

pytestmark = pytest.mark.integration

TRY_VARIABLE = "CAREHARD_TEST_INTERRUPT_TRY"
LOCK = "locks/audit-harden.lock"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.TestHost]:
    with own_hosts(tmp_path_factory.mktemp("interrupt"), "intr", 1) as hosts:
        yield hosts[0]


def run_processes(tag: str, carehard_pid: int) -> dict[int, str]:
    """The run's playbook and ssh processes (not carehard itself, nor its ansible-inventory listing)."""
    return {
        pid: cmd
        for pid, cmd in processes_with(TRY_VARIABLE, tag).items()
        if pid != carehard_pid and ("ansible-playbook" in cmd or cmd.startswith("ssh"))
    }


class Watch(threading.Thread):
    """Samples, every few milliseconds, the run's processes and whether the run lock is held."""

    def __init__(self, tag: str, carehard_pid: int, lock: Path) -> None:
        super().__init__(daemon=True)
        self.tag, self.carehard_pid, self.lock = tag, carehard_pid, lock
        self.done = threading.Event()
        self.seen: dict[int, str] = {}
        self.unlocked_while_running: list[dict[int, str]] = []

    def run(self) -> None:
        while not self.done.is_set():
            alive = run_processes(self.tag, self.carehard_pid)
            if alive and not lock_held(self.lock):
                self.unlocked_while_running.append(alive)
            self.seen.update(alive)
            time.sleep(0.01)


def wait_for_tasks_on(host: harness.TestHost, watch: Watch, timeout: float = 120) -> None:
    """Until a worker is connected to the host (ssh to its address runs): the run is changing it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(cmd.startswith("ssh") and host.address in cmd for cmd in watch.seen.values()):
            return
        time.sleep(0.1)
    raise AssertionError(f"no ssh to {host.address} within {timeout} s; seen: {watch.seen}")


@pytest.mark.parametrize(
    ("signum", "delay", "code", "message"),
    [
        (signal.SIGINT, 0.0, 130, "carehard: interrupted"),
        (signal.SIGINT, 4.0, 130, "carehard: interrupted"),
        (signal.SIGINT, 12.0, 130, "carehard: interrupted"),
        (signal.SIGTERM, 6.0, 143, "carehard: stopped by SIGTERM"),
    ],
)
def test_a_stopped_harden_stops_every_process_before_the_lock_is_released(
    host: harness.TestHost,
    state_dir: Path,
    tmp_path: Path,
    signum: int,
    delay: float,
    code: int,
    message: str,
) -> None:
    inventory = harden_inventory(tmp_path / "interrupt-hosts.yml", [host])
    tag = uuid.uuid4().hex
    proc = subprocess.Popen(
        [*CAREHARD, "harden", "--yes", "-i", inventory, "--level", "3", "--output", tmp_path / "out"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, TRY_VARIABLE: tag},
    )
    watch = Watch(tag, proc.pid, state_dir / LOCK)
    watch.start()
    try:
        wait_for_tasks_on(host, watch)
        time.sleep(delay)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=120)
        left = run_processes(tag, proc.pid)  # at the moment carehard has exited
    finally:
        watch.done.set()
        watch.join()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, stderr
    assert message in stderr and "Traceback" not in stderr
    assert left == {}, f"still running after carehard exited: {left}"
    assert watch.unlocked_while_running == [], "the lock was free while the run's processes ran"
    assert any("ansible-playbook" in cmd for cmd in watch.seen.values())
    assert not lock_held(state_dir / LOCK)
    assert not (tmp_path / "out" / "report.json").exists()
    if (state_dir / "history.db").exists():
        with sqlite3.connect(state_dir / "history.db") as db:
            selections = [row[0] for row in db.execute("SELECT selection FROM runs")]
        assert not any(str(inventory) in s for s in selections)
    # The next run starts at once and is not refused: nothing of the stopped one holds the lock.
    after = subprocess.run(
        [*CAREHARD, "audit", "-i", inventory, "--only", "WL-SSH-03", "--output", tmp_path / "next"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert after.returncode in (0, 1), after.stderr
