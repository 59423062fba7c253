"""The run lock: a second run exits 2 with who holds it and writes nothing; a killed holder frees it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from carehard.engine.lock import BACKUPS, HOSTS, LockHeld, lock_path, run_lock
from carehard.errors import UsageError
from tests.clirun import carehard

HOLDER = """
import sys, time
from carehard.engine.lock import run_lock
with run_lock(sys.argv[1], sys.argv[2]):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "state"
    monkeypatch.setenv("CAREHARD_STATE_DIR", str(path))
    return path


@contextmanager
def held_by_another_process(lock: str, command: str) -> Iterator[subprocess.Popen[str]]:
    """A real second process holding `lock` for `command` until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, lock, command], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_a_second_audit_is_refused_and_writes_nothing(state: Path, tmp_path: Path) -> None:
    with held_by_another_process(HOSTS, "audit") as holder:
        result = carehard("audit", "--output", tmp_path / "report", "--metrics-file", tmp_path / "m.prom")
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line.startswith(f"carehard: error: another carehard audit is running (pid {holder.pid} since 20")
    assert line.endswith(f" UTC; lock {state / 'locks' / 'audit-harden.lock'}): not started")
    assert not (tmp_path / "report").exists() and not (tmp_path / "m.prom").exists()
    assert sorted(p.name for p in state.iterdir()) == ["locks"]  # no history, no run dir


def test_harden_shares_the_audit_lock_and_backup_verify_has_its_own(state: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yml"
    with held_by_another_process(HOSTS, "audit"):
        harden = carehard("harden", "--yes", "-i", missing, "--output", tmp_path / "out")
        verify = carehard("backup", "verify", "-i", missing, "--output", tmp_path / "out")
    assert harden.returncode == 2 and "another carehard audit is running" in one_error_line(harden.stderr)
    # Not blocked by the audit: it goes on and stops at its own bad inventory.
    assert verify.returncode == 2 and "missing.yml does not exist" in one_error_line(verify.stderr)
    with held_by_another_process(BACKUPS, "backup verify"):
        verify = carehard("backup", "verify", "-i", missing, "--output", tmp_path / "out")
    line = one_error_line(verify.stderr)
    assert verify.returncode == 2 and "another carehard backup verify is running (pid " in line
    assert "backup-verify.lock): not started" in line
    assert not (tmp_path / "out").exists()


def test_a_killed_holder_leaves_no_stale_lock(state: Path) -> None:
    with held_by_another_process(BACKUPS, "backup verify") as holder:
        with pytest.raises(LockHeld), run_lock(BACKUPS, "backup verify"):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        with run_lock(BACKUPS, "backup verify") as path:
            record = json.loads(path.read_text())
            assert record["pid"] == os.getpid() and record["command"] == "carehard backup verify"
    assert lock_path(BACKUPS).read_text() == ""  # released: the record goes with the lock


@pytest.mark.skipif(shutil.which("flock") is None, reason="util-linux flock not installed")
def test_a_holder_that_wrote_no_record_yet_still_gives_a_clear_line(state: Path, tmp_path: Path) -> None:
    path = lock_path(HOSTS)
    path.parent.mkdir(parents=True)
    path.touch()
    holder = subprocess.Popen(["flock", "--exclusive", str(path), "sleep", "60"])
    try:
        for _ in range(100):  # until flock(1) holds it
            try:
                with run_lock(HOSTS, "audit"):
                    pass
            except LockHeld:
                break
            time.sleep(0.05)
        result = carehard("audit", "--output", tmp_path / "out")
    finally:
        holder.kill()
        holder.wait(timeout=10)
    line = one_error_line(result.stderr)
    assert result.returncode == 2
    assert f"another carehard audit is running (pid unknown; lock {path}): not started" in line


def test_an_unwritable_state_dir_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("CAREHARD_STATE_DIR", str(blocker / "state"))
    with (
        pytest.raises(UsageError, match=r"cannot open the run lock .*/file/state/locks/audit-harden\.lock"),
        run_lock(HOSTS, "harden"),
    ):
        pass


def harden_at_a_terminal(inventory: Path, output: Path, answer: str) -> subprocess.CompletedProcess[str]:
    """`carehard harden` with a real terminal on stdin, answering its confirmation prompt."""
    import pty

    controller, terminal = pty.openpty()
    try:
        os.write(controller, answer.encode() + b"\n")
        return subprocess.run(
            [sys.executable, "-m", "carehard", "harden", "-i", str(inventory), "--output", str(output)],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)


def test_harden_at_a_terminal_is_refused_while_another_run_holds_the_lock(
    state: Path, tmp_path: Path
) -> None:
    """Its dry run comes first and takes the lock like any run (the question then waits without it:
    tests/integration/test_harden_dry_run.py): refused in one line, before any question."""
    missing = tmp_path / "missing.yml"
    with held_by_another_process(HOSTS, "audit"):
        refused = harden_at_a_terminal(missing, tmp_path / "out", "y")
    assert "Harden" not in refused.stdout
    assert refused.returncode == 2
    assert "another carehard audit is running" in one_error_line(refused.stderr)
    assert not (tmp_path / "out").exists()
