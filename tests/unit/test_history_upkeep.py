"""A history that is damaged, read-only or keyed by how an inventory was typed: the run is never lost,
read commands say one line, a read-only copy is readable, an inventory has one identity.

The history files are real SQLite files made by the store; the commands run in a subprocess as a
user runs them; only the playbook run is faked (the integration tests run it for real)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from carehard.engine.run import RunnerOutcome
from carehard.engine.selection import Selection
from carehard.history import History
from carehard.history.upkeep import problem_of
from carehard.jobs import pipeline
from carehard.jobs.assess import AssessJob
from carehard.jobs.pipeline import Outputs, run_job
from carehard.model import EXIT_USAGE
from tests import clirun
from tests.unit.test_history import record

READ_COMMANDS = (
    ("runs", "list"),
    ("report", "--last", "--format", "json"),
    ("vendor", "list"),
    ("backup", "history"),
    ("report", "evidence", "--care"),
)


def carehard(state: Path, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return clirun.carehard(*args, env={"CAREHARD_STATE_DIR": str(state)}, timeout=300, cwd=cwd)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAREHARD_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "state").mkdir()
    return tmp_path / "state"


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "site" / "hosts.yml"
    path.parent.mkdir()
    hosts = {"pc1": {"ansible_host": "198.51.100.11"}}
    path.write_text(yaml.safe_dump({"all": {"children": {"linux_workstations": {"hosts": hosts}}}}))
    return path


def passing(run_id: str, ident: str, request: object, on_event: object) -> RunnerOutcome:
    """A playbook run where pc1 passes WL-SSH-01 (the integration tests run the real one)."""
    task = {"host": "pc1", "task": "WL-SSH-01 | Check root login", "res": {"changed": False}}
    on_event({"event": "runner_on_ok", "event_data": task})  # type: ignore[operator]
    return RunnerOutcome("successful", 0, Path(ident))


def saved_runs(state: Path, count: int) -> History:
    history = History(state / "history.db")
    for n in range(count):
        history.save(
            record(f"20261125T12{n // 60:02d}{n % 60:02d}Z-{n:06d}", f"2026-11-25T12:{n // 60:02d}:00+00:00")
        )
    return history


def test_a_damaged_history_is_set_aside_and_the_run_recorded_in_a_fresh_one(
    state: Path, inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved_runs(state, 2)
    os.truncate(state / "history.db", 100)
    monkeypatch.setattr(pipeline, "run_playbook", passing)
    job = AssessJob("audit", inventory, Selection(level=1, only=("WL-SSH-01",)))
    result = run_job(job, Outputs(tmp_path / "out", ("json",)))
    [aside] = state.glob("history.db.damaged-*[0-9]Z")
    assert aside.stat().st_size == 100  # kept as it was, never deleted
    [warning] = result.warnings
    assert str(state / "history.db") in warning and str(aside) in warning and "fresh history" in warning
    assert result.unsaved is None and result.exit_code == 0
    assert [s.id for s in History(state / "history.db").runs()] == [result.run.id]
    assert json.loads((tmp_path / "out" / "report.json").read_text())["run"]["id"] == result.run.id


def test_read_commands_on_a_damaged_history_say_so_in_one_line(state: Path) -> None:
    saved_runs(state, 2)
    os.truncate(state / "history.db", 100)
    for command in READ_COMMANDS:
        proc = carehard(state, *command)
        assert proc.returncode == EXIT_USAGE, (command, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
        [line] = proc.stderr.splitlines()
        assert line.startswith(f"carehard: error: the history {state / 'history.db'} is damaged"), line
        assert "carehard history rebuild" in line
    assert (state / "history.db").stat().st_size == 100  # reading sets nothing aside


def test_history_check_and_rebuild_salvage_the_readable_runs(state: Path) -> None:
    saved_runs(state, 120)
    with (state / "history.db").open("r+b") as db:  # one page of the middle overwritten
        db.seek(4096 * 12)
        db.write(b"\xff" * 4096)
    check = carehard(state, "history", "check")
    assert check.returncode == 1 and "is damaged" in check.stdout, check.stdout + check.stderr
    rebuild = carehard(state, "history", "rebuild")
    assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
    [aside] = state.glob("history.db.damaged-*[0-9]Z")
    assert f"set aside as {aside}" in rebuild.stdout and "copied from" in rebuild.stdout
    assert problem_of(state / "history.db", thorough=True) is None
    kept = {s.id for s in History(state / "history.db").runs()}
    assert 60 < len(kept) <= 120  # the rows on both sides of the damaged page
    again = carehard(state, "history", "rebuild", "--from", aside)
    assert again.returncode == 0 and "could be read or was missing" in again.stdout, again.stdout
    assert {s.id for s in History(state / "history.db").runs()} == kept
    assert "is sound" in carehard(state, "history", "check").stdout


@pytest.fixture
def read_only_copy(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A state directory and the same directory bind-mounted read-only (as a copy on a read-only
    medium is); unmounted afterwards."""
    source, mounted = tmp_path / "state", tmp_path / "ro"
    source.mkdir(exist_ok=True)
    mounted.mkdir()
    bound = subprocess.run(["mount", "--bind", source, mounted], capture_output=True, text=True, check=False)
    if bound.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot bind-mount a read-only copy: {bound.stderr}")
        pytest.skip(f"cannot bind-mount (not root?): {bound.stderr}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", mounted], check=True)
        yield source, mounted
    finally:
        subprocess.run(["umount", mounted], check=True)


def test_a_read_only_state_directory_is_read_and_refuses_runs(
    read_only_copy: tuple[Path, Path], inventory: Path, tmp_path: Path
) -> None:
    source, mounted = read_only_copy
    saved_runs(source, 3)
    listed = carehard(mounted, "runs", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 3
    report = carehard(mounted, "report", "--last", "--format", "json", "--output", tmp_path / "out")
    assert report.returncode == 0 and (tmp_path / "out" / "report.json").exists(), report.stderr
    assert carehard(mounted, "vendor", "list").stdout.strip() == "no vendor window open"
    assert "is sound: 3 run(s)" in carehard(mounted, "history", "check").stdout
    audit = carehard(mounted, "audit", "-i", inventory, "--only", "WL-SSH-01", "--output", tmp_path / "a")
    assert audit.returncode == EXIT_USAGE and "Traceback" not in audit.stderr
    [line] = audit.stderr.splitlines()
    assert line.startswith(f"carehard: error: the state directory {mounted} is read-only"), line
    assert sorted(p.name for p in source.iterdir()) == ["history.db"]  # nothing written, not even a lock


def test_an_inventory_is_recorded_and_asked_for_by_its_resolved_path(
    state: Path, inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "run_playbook", passing)
    monkeypatch.chdir(inventory.parent.parent)
    typed = Path("site/../site/hosts.yml")
    result = run_job(AssessJob("audit", typed, Selection(level=1, only=("WL-SSH-01",))), Outputs())
    assert result.run.selection["inventory"] == str(inventory.resolve())

    def evidence(asked: str | Path) -> dict[str, dict[str, int]]:
        proc = carehard(
            state, "report", "evidence", "--care", "--inventory", asked, "--format", "json", cwd=tmp_path
        )
        assert proc.returncode == 0, proc.stderr
        domains = json.loads(proc.stdout)["domains"]
        return {c["id"]: c["counts"] for d in domains for c in d["controls"] if c["run_id"]}

    by_relative, by_absolute = evidence("site/hosts.yml"), evidence(inventory)
    assert by_relative == by_absolute and by_relative.get("WL-SSH-01") == {"pass": 1}, by_relative
    missing = carehard(state, "report", "evidence", "--care", "--inventory", "site/nope.yml", cwd=tmp_path)
    assert missing.returncode == EXIT_USAGE and "Traceback" not in missing.stderr
    [line] = missing.stderr.splitlines()
    assert line.startswith("carehard: error: --inventory site/nope.yml: no such file or directory"), line


def test_runs_an_older_carehard_recorded_by_an_absolute_path_match(state: Path, inventory: Path) -> None:
    old = record()
    old.selection = {"inventory": f"{inventory.parent}/./{inventory.name}"}  # as typed then
    History(state / "history.db").save(old)
    [summary] = History(state / "history.db").runs()
    assert summary.inventory == str(inventory.resolve())
