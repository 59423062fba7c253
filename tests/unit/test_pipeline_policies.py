"""Every job that runs a playbook goes through the pipeline: the lock of its policy (the jobs on the
fleet's hosts share the one harden takes), and its metrics file. A real second process holds the
lock; a job refused by it runs nothing and records nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from carehard.engine.inventory import InventoryHost
from carehard.engine.lock import BACKUPS, EXPOSURE, HOSTS, LockHeld
from carehard.engine.run import RunnerOutcome
from carehard.errors import RunBroken
from carehard.exposure import ScanOptions, plan_scan
from carehard.history import History
from carehard.jobs import pipeline
from carehard.jobs.assess import AssessJob
from carehard.jobs.backup_verify import BackupVerifyJob
from carehard.jobs.canary import CanaryJob
from carehard.jobs.exposure import ScanJob
from carehard.jobs.facts import FactsJob
from carehard.jobs.pipeline import Job, Outputs, run_job
from carehard.jobs.vendor_window import VendorWindowJob
from carehard.paths import history_path
from carehard.vendors import Vendor, Window
from tests.unit.test_run_lock import held_by_another_process


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAREHARD_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.yml"
    hosts = {"edge": {"ansible_host": "198.51.100.10"}, "pc1": {"ansible_host": "198.51.100.11"}}
    path.write_text(yaml.safe_dump({"all": {"children": {"linux_workstations": {"hosts": hosts}}}}))
    return path


def vendor_window(action: str) -> Window:
    vendor = Vendor("acme", "acme", "", ("ssh-ed25519 AAAA x",), ("maint",), 3600, "1h", "ssh", ())
    host = InventoryHost("pc1", {"ansible_host": "198.51.100.11"}, ("linux_workstations",))
    end = datetime(2099, 1, 1, tzinfo=UTC) if action == "open" else None
    return Window(vendor, (host,), action, datetime.now(UTC), end, "ticket 1", "tester")


def jobs(inventory: Path) -> dict[str, tuple[Job, str]]:
    """Each job, and the lock its policy names."""
    from carehard.engine.selection import Selection

    return {
        "audit": (AssessJob("audit", inventory, Selection(level=1)), HOSTS),
        "harden": (AssessJob("harden", inventory, Selection(level=1)), HOSTS),
        "facts": (FactsJob(inventory, None), HOSTS),
        "vendor open": (VendorWindowJob(inventory, vendor_window("open")), HOSTS),
        "vendor close": (VendorWindowJob(inventory, vendor_window("close")), HOSTS),
        "backup canary": (CanaryJob(inventory, "PACS"), HOSTS),
        "backup verify": (BackupVerifyJob(inventory, (), False), BACKUPS),
        "exposure scan": (ScanJob(plan_scan(ScanOptions(inventory, "edge", (22,)))), EXPOSURE),
    }


@pytest.mark.parametrize(
    "command",
    [
        "audit",
        "harden",
        "facts",
        "vendor open",
        "vendor close",
        "backup canary",
        "backup verify",
        "exposure scan",
    ],
)
def test_each_job_is_refused_while_its_lock_is_held(
    command: str, inventory: Path, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[object] = []
    monkeypatch.setattr(pipeline, "run_playbook", lambda *args: ran.append(args))
    job, lock = jobs(inventory)[command]
    assert job.policy.lock == lock and job.command == command
    with (
        held_by_another_process(lock, "audit"),
        pytest.raises(LockHeld, match="another carehard audit is running"),
    ):
        run_job(job, Outputs(tmp_path / "out", ("json",), tmp_path / "m.prom"))
    assert ran == []
    assert sorted(p.name for p in state.iterdir()) == ["locks"]  # no history, no run directory
    assert not (tmp_path / "out").exists() and not (tmp_path / "m.prom").exists()


def test_a_job_that_changes_nothing_on_the_hosts_is_not_held_back_by_them(
    inventory: Path, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exposure scan goes on while an audit holds the hosts' lock (and stops here at its own fault)."""

    def no_host_answers(run_id: str, ident: str, request: object, on_event: object) -> RunnerOutcome:
        return RunnerOutcome("failed", 2, tmp_path / "artifacts")

    monkeypatch.setattr(pipeline, "run_playbook", no_host_answers)
    job = ScanJob(plan_scan(ScanOptions(inventory, "edge", (22,))))
    metrics = tmp_path / "m.prom"
    with (
        held_by_another_process(HOSTS, "audit"),
        pytest.raises(RunBroken, match="the exposure playbook ran on no host"),
    ):
        run_job(job, Outputs(tmp_path / "out", (), metrics))
    assert not metrics.exists()  # a run broken before any result measures nothing


def test_vendor_and_canary_runs_write_their_metrics_and_record_no_run(
    inventory: Path, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(run_id: str, ident: str, request: object, on_event: object) -> RunnerOutcome:
        on_event(
            {
                "event": "runner_on_unreachable",
                "event_data": {"host": "pc1", "task": "Gathering Facts", "res": {"msg": "No route to host"}},
            }
        )
        return RunnerOutcome("failed", 4, tmp_path / "artifacts")

    monkeypatch.setattr(pipeline, "run_playbook", unreachable)
    metrics = tmp_path / "m.prom"
    job = VendorWindowJob(inventory, vendor_window("open"))
    result = run_job(job, Outputs(tmp_path / "out", ("json",), metrics))
    assert result.exit_code == 3 and job.failed == {
        "pc1": "unreachable at task 'Gathering Facts': No route to host"
    }
    assert result.report_files == [] and not (tmp_path / "out").exists()
    families = {f.name: f for f in text_string_to_metric_families(metrics.read_text())}
    [exit_code] = families["carehard_run_exit_code"].samples
    assert exit_code.labels == {"mode": "vendor-open"} and exit_code.value == 3
    assert f"metrics: {metrics}" in result.notes
    assert History(history_path()).runs() == []  # windows are recorded as windows, not as runs
    assert History(history_path()).windows() == []  # and this one opened nowhere
