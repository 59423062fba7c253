"""`carehard runs prune` and the prune after every run (carehard_runs in the config file): run
directories removed by age then by size, never the last run of a host or of a backup set's
verification, never a run in progress or what is not a run; the history's rows stay. A real
history, real run directories with files of known sizes, the real command."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carehard.engine.lock import BACKUPS, EXPOSURE, HOSTS, LockHeld
from carehard.errors import UsageError
from carehard.history import History
from carehard.jobs.runs_prune import PrunePolicy, prune_after_run, prune_runs
from carehard.model import BackupCheck, ControlResult, HostOutcome, RunRecord
from carehard.sizes import format_size, parse_size
from tests.clirun import carehard
from tests.unit.test_run_lock import held_by_another_process

MiB = 1024 * 1024
SITE_A, SITE_B = "/srv/carehard/site-a", "/srv/carehard/site-b"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state directory of its own, and an empty config file (no machine's config is read)."""
    config = tmp_path / "config.yml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("CAREHARD_CONFIG", str(config))
    monkeypatch.setenv("CAREHARD_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "state" / "runs").mkdir(parents=True)
    return tmp_path / "state"


def run_id(days_ago: float, tag: str) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y%m%dT%H%M%SZ-") + tag


def started_of(rid: str) -> datetime:
    return datetime.strptime(rid[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def du(path: Path) -> int:
    """What du says the tree takes on disk, in bytes."""
    return int(subprocess.check_output(["du", "-s", "-B1", str(path)], text=True).split()[0])


def run_directory(state: Path, rid: str, mib: int = 1) -> Path:
    """A run directory as ansible-runner leaves it, `mib` MiB on disk as du counts, its times the run's."""
    artifacts = state / "runs" / rid / "artifacts" / rid
    (artifacts / "job_events").mkdir(parents=True)
    (artifacts / "job_events" / "1-event.json").write_text('{"event": "playbook_on_start"}')
    (state / "runs" / rid / "inventory").mkdir()
    (artifacts / "stdout").write_bytes(b"x" * (mib * MiB - du(state / "runs" / rid)))
    assert du(state / "runs" / rid) == mib * MiB
    stamp = started_of(rid).timestamp()
    for path in (artifacts / "stdout", artifacts / "job_events", artifacts, state / "runs" / rid):
        os.utime(path, (stamp, stamp))
    return state / "runs" / rid


def recorded(
    state: Path, rid: str, hosts: tuple[str, ...], inventory: str = SITE_A, mode: str = "audit", mib: int = 1
) -> str:
    """A run saved in the history, and its run directory."""
    directory = run_directory(state, rid, mib)
    started = started_of(rid).isoformat()
    outcomes = {
        h: HostOutcome(h, results={"WL-SSH-01": ControlResult("WL-SSH-01", "pass", "PermitRootLogin no")})
        for h in hosts
    }
    selection = {"inventory": inventory}
    History(state / "history.db").save(
        RunRecord(
            rid, mode, started, started, "0.1.0", 1, selection, ["WL-SSH-01"], 0, str(directory), outcomes
        )
    )
    return rid


def verified(state: Path, rid: str, backup_set: str) -> None:
    check = BackupCheck(
        rid, backup_set, started_of(rid).isoformat(), "pass", None, 3600, True, 12.0, 1, 1.0, 60.0
    )
    History(state / "history.db").save_backup_checks([check])


def runs_left(state: Path) -> set[str]:
    return {p.name for p in (state / "runs").iterdir()}


def prune(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return carehard("runs", "prune", *args, env=env, timeout=120)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("carehard: error: ")
    return lines[0]


@pytest.fixture
def fleet(state: Path) -> dict[str, str]:
    """Runs of two inventories, old and new, and one run directory the history does not know."""
    runs = {
        "first": recorded(state, run_id(200, "a00001"), ("ws-01", "ws-02")),  # both hosts ran again since
        "last-ws-01": recorded(state, run_id(150, "a00002"), ("ws-01",)),
        "last-ws-02": recorded(state, run_id(120, "a00003"), ("ws-02",)),
        "last-ws-01-site-b": recorded(state, run_id(110, "b00001"), ("ws-01",), inventory=SITE_B),
        "recent": recorded(state, run_id(10, "a00004"), ("ws-03",)),
    }
    orphan = run_id(100, "c00001")  # interrupted: a directory, no record
    run_directory(state, orphan)
    os.utime(state / "runs" / orphan / "artifacts", None)  # touched today: the age is the id's
    return {**runs, "orphan": orphan}


def test_old_runs_go_and_the_last_run_of_each_host_stays_however_old(
    state: Path, fleet: dict[str, str]
) -> None:
    result = prune("--keep", "90d")
    assert result.returncode == 0, result.stderr
    assert runs_left(state) == {fleet[k] for k in ("last-ws-01", "last-ws-02", "last-ws-01-site-b", "recent")}
    lines = result.stdout.splitlines()
    assert any(ln.startswith(f"removed {fleet['first']}: audit, started 200") for ln in lines), lines
    assert f"removed {fleet['orphan']}: not in the history, started 100 d ago, 1 MB (older than 90d)" in lines
    assert (
        lines[-1] == "removed 2 runs, 2 MB freed; 4 runs left, 4 MB; kept 3 runs still the last run of a host"
    )
    # The history's rows stay: the run is listed, and its report still renders from them.
    listed = json.loads(carehard("runs", "list", "--format", "json").stdout)
    assert fleet["first"] in [r["id"] for r in listed] and len(listed) == 5
    out = state.parent / "out"
    report = carehard("report", "--run", fleet["first"], "--format", "json", "--output", out)
    assert report.returncode == 0, report.stderr
    rendered = json.loads((out / "report.json").read_text())
    assert sorted(h["name"] for h in rendered["hosts"]) == ["ws-01", "ws-02"]
    # What still points to its directory says it was pruned, and where the results are.
    artifacts = state / "runs" / fleet["first"] / "artifacts" / fleet["first"]
    gone = one_line_error(carehard("report", "--artifacts", artifacts, "--output", out))
    assert f"the artifacts of run {fleet['first']} were pruned" in gone
    assert f"carehard report --run {fleet['first']}" in gone


def test_dry_run_says_the_same_and_removes_nothing(state: Path, fleet: dict[str, str]) -> None:
    before = runs_left(state)
    result = prune("--keep", "90d", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert runs_left(state) == before
    lines = result.stdout.splitlines()
    assert sorted(ln.split()[2].rstrip(":") for ln in lines if "(older than 90d)" in ln) == sorted(
        [fleet["first"], fleet["orphan"]]
    )
    assert lines[-1].startswith("would remove 2 runs, 2 MB would be freed; ")


def test_the_last_verification_of_a_backup_set_stays(state: Path) -> None:
    old = recorded(state, run_id(300, "d00001"), ("repo-01",), mode="backup")
    last = recorded(state, run_id(200, "d00002"), ("repo-01",), mode="backup")
    verified(state, old, "PACS")
    verified(state, last, "PACS")
    verified(state, last, "DPI")
    recorded(state, run_id(1, "d00003"), ("repo-01",))  # the host's last run is a newer one
    result = prune("--keep", "30d")
    assert result.returncode == 0, result.stderr
    assert old not in runs_left(state) and last in runs_left(state)
    assert "kept 1 run still the last verification of a backup set" in result.stdout.splitlines()[-1]


def test_the_size_cap_takes_the_oldest_first_and_never_the_needed(state: Path) -> None:
    oldest = [recorded(state, run_id(days, f"e0000{days}"), ("ws-01",), mib=2) for days in (4, 3, 2)]
    newest = recorded(state, run_id(1, "e00001"), ("ws-01",), mib=2)  # the last run of ws-01
    result = prune("--max-size", "5M")
    assert result.returncode == 0, result.stderr
    assert runs_left(state) == {oldest[2], newest}
    assert result.stdout.splitlines()[-1] == "removed 2 runs, 4 MB freed; 2 runs left, 4 MB"
    assert "(over 5M)" in result.stdout
    tight = prune("--max-size", "1M")
    assert tight.returncode == 0 and runs_left(state) == {newest}
    assert tight.stdout.splitlines()[-1] == (
        "removed 1 run, 2 MB freed; 1 run left, 2 MB; kept 1 run still the last run of a host;"
        " still over 1M: what is left is still needed"
    )


def test_age_and_size_together(state: Path) -> None:
    """Older than keep first; then the cap weighs only what is left."""
    old = recorded(state, run_id(40, "f00001"), ("ws-01",), mib=3)
    mid = recorded(state, run_id(20, "f00002"), ("ws-01",), mib=3)
    new = recorded(state, run_id(2, "f00003"), ("ws-01",), mib=3)
    result = prune("--keep", "30d", "--max-size", "4M")
    assert result.returncode == 0, result.stderr
    assert runs_left(state) == {new}
    assert f"removed {old}: audit, started 40 d ago, 3 MB (older than 30d)" in result.stdout
    assert f"removed {mid}: audit, started 20 d ago, 3 MB (over 4M)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--keep", "90"), "--keep '90' is not a duration: give a number and a unit, like 30m, 4h or 2d"),
        (
            ("--max-size", "5GB"),
            "--max-size '5GB' is not a size: give a number above 0 and a unit K, M, G or T",
        ),
        (("--max-size", "0G"), "--max-size '0G' is not a size"),
        ((), "give --keep or --max-size, or set carehard_runs in the config file"),
    ],
)
def test_bad_values_are_refused_on_one_line(
    state: Path, fleet: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    before = runs_left(state)
    assert message in one_line_error(prune(*args))
    assert runs_left(state) == before and not (state / "locks").exists()


def test_a_bad_value_in_the_config_file_is_refused_before_any_run(state: Path, fleet: dict[str, str]) -> None:
    config = Path(os.environ["CAREHARD_CONFIG"])
    config.write_text("carehard_runs:\n  keep: 90d\n  max_size: 5 gigs\n", encoding="utf-8")
    before = runs_left(state)
    error = one_line_error(prune())
    assert error == (
        f"carehard: error: config {config}: carehard_runs.max_size: expected a size like 500M, 5G or 1.5G"
        " (a number above 0 and one of K, M, G, T), got '5 gigs'"
    )
    inventory = state.parent / "hosts.yml"
    inventory.write_text("all:\n  children:\n    linux_workstations:\n      hosts:\n        ws-01:\n")
    refused = carehard("facts", "-i", inventory)  # a run refuses it too, before running anything
    assert "carehard_runs.max_size" in one_line_error(refused)
    assert runs_left(state) == before


def test_what_is_not_a_run_directory_is_left_and_named_once(state: Path, tmp_path: Path) -> None:
    old = run_id(400, "0a0b0c")
    (state / "runs" / "notes.txt").write_text("kept by hand")
    (state / "runs" / "copy-of-a-run").mkdir()
    (state / "runs" / old.replace("0a0b0c", "NOTHEX")).mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_text("x")
    (state / "runs" / old).symlink_to(elsewhere)  # a run id's name, but no directory of carehard's
    result = prune("--keep", "1d")
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "precious").exists() and (state / "runs" / old).is_symlink()
    assert len(runs_left(state)) == 4
    named = [ln for ln in result.stdout.splitlines() if "not a carehard run" in ln]
    assert named == [
        f"left 4 entries of {state / 'runs'} that are not a carehard run: "
        f"{old}, {old.replace('0a0b0c', 'NOTHEX')}, copy-of-a-run, notes.txt"
    ]


def test_a_prune_stopped_halfway_is_finished_next_time(state: Path) -> None:
    kept = recorded(state, run_id(5, "1a0001"), ("ws-01",))
    halfway = run_directory(state, run_id(200, "1a0002"), mib=2)
    halfway.rename(state / "runs" / f".pruning-{halfway.name}")  # renamed, deletion interrupted
    result = prune("--keep", "90d")
    assert result.returncode == 0, result.stderr
    assert runs_left(state) == {kept}
    assert result.stdout.splitlines() == [
        f"finished removing .pruning-{halfway.name}, left by an interrupted prune (2 MB)",
        "removed 0 runs, 2 MB freed; 1 run left, 1 MB",
    ]


def test_a_run_in_progress_refuses_the_prune(state: Path, fleet: dict[str, str]) -> None:
    before = runs_left(state)
    with held_by_another_process(HOSTS, "audit"):
        error = one_line_error(prune("--keep", "90d"))
    assert "another carehard audit is running" in error and "not started" in error
    for lock in (BACKUPS, EXPOSURE):  # every run lock, as history rebuild takes them
        with held_by_another_process(lock, "audit"), pytest.raises(LockHeld):
            prune_runs(PrunePolicy(keep=1, keep_text="1s"))
    assert runs_left(state) == before


def test_the_config_policy_prunes_after_a_real_run(
    state: Path, fleet: dict[str, str], tmp_path: Path
) -> None:
    """A real run (a facts run whose one host, on loopback, does not answer) prunes once saved."""
    config = Path(os.environ["CAREHARD_CONFIG"])
    config.write_text("carehard_runs:\n  keep: 90d\n", encoding="utf-8")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  children:\n    linux_workstations:\n      hosts:\n"
        "        ws-09: {ansible_host: 127.0.0.1, ansible_port: 9, ansible_user: nobody}\n"
    )
    result = carehard("facts", "-i", inventory, "--format", "json", timeout=300)
    assert result.returncode == 3, result.stderr  # the host's exit code, whatever the prune did
    assert "warning" not in result.stderr
    listed = json.loads(carehard("runs", "list", "--format", "json").stdout)
    new = listed[0]["id"]
    assert listed[0]["mode"] == "facts" and len(listed) == 6
    assert runs_left(state) == {
        *(fleet[k] for k in ("last-ws-01", "last-ws-02", "last-ws-01-site-b", "recent")),
        new,
    }
    again = prune()  # the config's policy, without options
    assert again.returncode == 0 and again.stdout.splitlines()[-1].startswith(
        "nothing to remove; 5 runs left"
    )


def test_a_failed_prune_after_a_run_is_a_warning_line(state: Path, fleet: dict[str, str]) -> None:
    (state / "history.db").write_bytes(b"this is no SQLite database" * 100)
    before = runs_left(state)
    warning = prune_after_run(PrunePolicy(keep=86400, keep_text="1d"), fleet["recent"])
    assert warning is not None and warning.startswith("old runs not pruned: the history ")
    assert "history" in warning and "\n" not in warning
    assert runs_left(state) == before  # nobody can say which runs are still needed: none goes


def test_the_prune_after_a_run_spares_it_and_waits_for_other_runs(state: Path, fleet: dict[str, str]) -> None:
    just_ended = run_id(0, "2b0001")
    run_directory(state, just_ended, mib=3)  # not in the history: its save failed (exit 4)
    with held_by_another_process(BACKUPS, "audit"):
        assert prune_after_run(PrunePolicy(max_size=1, max_size_text="1"), just_ended) is None
        assert fleet["first"] in runs_left(state)  # another run is going on: left to a later run
    assert prune_after_run(PrunePolicy(max_size=1, max_size_text="1"), just_ended) is None
    assert just_ended in runs_left(state) and fleet["first"] not in runs_left(state)
    assert prune_after_run(None, just_ended) is None


def test_sizes_parse_strictly_and_read_for_people() -> None:
    assert parse_size("500M", "--max-size") == 500 * MiB
    assert parse_size("1.5G", "--max-size") == 1536 * MiB
    assert parse_size("5g", "--max-size") == 5 * 1024 * MiB
    for bad in ("5", "5GB", "G", "1.5.0G", "1,5G", "-1G", "5 G B", "0.0K", ""):
        with pytest.raises(UsageError, match="is not a size"):
            parse_size(bad, "--max-size")
    assert [format_size(n) for n in (0, 512, 4096, 88.3 * MiB, 5 * 1024 * MiB, 1023.99 * 1024)] == [
        "0 B",
        "512 B",
        "4 KB",
        "88.3 MB",
        "5 GB",
        "1 MB",
    ]


def test_prune_runs_without_a_runs_directory_does_nothing(state: Path) -> None:
    (state / "runs").rmdir()
    outcome = prune_runs(PrunePolicy(keep=1, keep_text="1s"))
    assert outcome.removed == [] and not (state / "locks").exists()
