"""The history's faults during a real `carehard audit` of the spare host: a damaged history file, and
the state directory's disk full when the run is saved. The run's reports are written whatever
happens to the history, and the runs already in it are not lost.

Each test has a state directory of its own (CAREHARD_STATE_DIR in the command's environment); the
full disk is a small tmpfs mounted here (as root) and unmounted afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from carehard.history import History
from carehard.history.upkeep import problem_of
from carehard.model import EXIT_UNSAVED
from tests.clirun import carehard, load_report
from tests.testhosts import harness

ONLY = "WL-SSH-01,WL-SSH-02,WL-ACC-07"


def audit(state: Path, inventory: Path, output: Path) -> subprocess.CompletedProcess[str]:
    return carehard(
        "audit", "-i", inventory, "--only", ONLY, "--output", output, "--format", "json,html",
        env={"CAREHARD_STATE_DIR": str(state)},
    )  # fmt: skip


def listed(state: Path) -> list[str]:
    proc = carehard("runs", "list", "--format", "json", env={"CAREHARD_STATE_DIR": str(state)})
    assert proc.returncode == 0, proc.stderr
    return [run["id"] for run in json.loads(proc.stdout)]


@pytest.fixture
def inventory(fleet: dict[str, harness.TestHost], tmp_path: Path) -> Path:
    return harness.write_inventory(tmp_path / "hosts.yml", [fleet["spare"]])


def test_an_audit_with_a_damaged_history_sets_it_aside_and_is_recorded(
    inventory: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    first = audit(state, inventory, tmp_path / "first")
    assert first.returncode in (0, 1), first.stdout[-2000:] + first.stderr[-2000:]
    os.truncate(state / "history.db", 100)

    proc = audit(state, inventory, tmp_path / "out")
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    [aside] = state.glob("history.db.damaged-*[0-9]Z")
    assert aside.stat().st_size == 100
    [warning] = [line for line in proc.stderr.splitlines() if line.startswith("carehard: warning:")]
    assert f"the history {state / 'history.db'} was damaged" in warning and f"set aside as {aside}" in warning
    run_id = load_report(tmp_path / "out")["run"]["id"]
    assert (tmp_path / "out" / "report.html").exists()
    assert listed(state) == [run_id]  # recorded in the fresh history


@pytest.fixture
def full_state(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A state directory on a 4 MiB tmpfs, and a file that fills it; the runner's artifacts
    directory (runs/) is bind-mounted from the test's own disk, so that only the history (and the
    run lock) live on the disk that fills up."""
    state, artifacts = tmp_path / "state", tmp_path / "artifacts"
    state.mkdir()
    artifacts.mkdir()
    mounted: list[Path] = []
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", state], check=True)
        mounted.append(state)
        (state / "runs").mkdir()
        subprocess.run(["mount", "--bind", artifacts, state / "runs"], check=True)
        mounted.append(state / "runs")
        yield state, state / "filler"
    finally:
        for path in reversed(mounted):
            subprocess.run(["umount", path], check=True)


def fill(filler: Path, leave_pages: int) -> None:
    """Fill the filesystem of `filler` to the last page, then free `leave_pages` pages (the run
    lock's record needs one: the run must get as far as saving its record)."""
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError:
            pass
    os.truncate(filler, filler.stat().st_size - leave_pages * os.statvfs(filler).f_frsize)


def test_the_state_directory_s_disk_full_keeps_the_reports_and_the_history(
    full_state: tuple[Path, Path], inventory: Path, tmp_path: Path
) -> None:
    state, filler = full_state
    first = audit(state, inventory, tmp_path / "first")
    assert first.returncode in (0, 1), first.stdout[-2000:] + first.stderr[-2000:]
    before = listed(state)
    assert len(before) == 1

    fill(filler, leave_pages=2)
    proc = audit(state, inventory, tmp_path / "out")
    assert proc.returncode == EXIT_UNSAVED, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("carehard: error: no space left on the disk of the state directory"), line
    assert str(state) in line and str(state / "history.db") in line
    report = load_report(tmp_path / "out")  # on another filesystem: written all the same
    assert (tmp_path / "out" / "report.html").exists()
    assert report["run"]["id"] not in before and f"run {report['run']['id']} is not in the history" in line

    filler.unlink()
    assert problem_of(state / "history.db", thorough=True) is None
    assert listed(state) == before
    assert [s.id for s in History(state / "history.db").runs()] == before
