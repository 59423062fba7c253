"""Which hosts a run targets and which controls each is to run (issue 18, items 2 and 13): the plays
read from the playbooks, the batches of hosts run together, and the folder filling only a host's
own controls when it broke or was never reached."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import load_catalog
from carehard.engine import inventory as inventory_module
from carehard.engine.inventory import InventoryHost
from carehard.engine.plays import Play, batches, host_controls, plays_of
from carehard.engine.results import NOT_REACHED, ResultFolder
from carehard.engine.run import PlaybookRun, RunnerOutcome
from carehard.engine.selection import Selection
from carehard.errors import UsageError
from carehard.jobs import pipeline
from carehard.jobs.assess import AssessJob
from carehard.jobs.pipeline import Outputs, run_job

LINUX = InventoryHost("pc1", {}, ("linux_clinical", "linux_workstations"))
WINDOWS = InventoryHost("win1", {}, ("windows_workstations",))
WINDOWS_BY_CONNECTION = InventoryHost("win2", {"ansible_connection": "psrp"}, ("clinic",))
OUTSIDE = InventoryHost("nas1", {}, ("backup_servers",))


def unreachable(host: str, task: str = "Gathering Facts") -> dict[str, Any]:
    return {
        "event": "runner_on_unreachable",
        "event_data": {"host": host, "task": task, "res": {"msg": "Connection refused"}},
    }


def failed(host: str, task: str) -> dict[str, Any]:
    return {
        "event": "runner_on_failed",
        "event_data": {"host": host, "task": task, "task_action": "command", "res": {"msg": "boom"}},
    }


def selected(*prefixes: str) -> list[str]:
    return [c.id for c in load_catalog().all() if c.id.startswith(prefixes)]


def test_the_site_plays_are_read_through_the_imports() -> None:
    plays = plays_of("site.yml")
    assert [p.hosts for p in plays] == [
        "linux_workstations",
        "windows_workstations",
        "linux_workstations",
        "windows_workstations",
        "linux_workstations",
        "windows_workstations",
        "directories",
    ]
    assert "workstation_linux" in plays[0].roles and "remote_access" in plays[3].roles
    assert "compliance_facts" in plays[5].roles
    assert plays[6].roles == ("carehard", "directory_audit")


def test_a_play_pattern_matches_groups_names_and_exclusions() -> None:
    assert Play("linux_workstations", ()).targets(LINUX)
    assert not Play("linux_workstations", ()).targets(WINDOWS)
    assert Play("all:!windows_workstations", ()).targets(LINUX)
    assert not Play("all:!windows_workstations", ()).targets(WINDOWS)
    assert Play("linux_*:&linux_clinical", ()).targets(LINUX)
    assert Play("pc1,win1", ()).targets(WINDOWS)
    assert Play("{{ carehard_targets }}", ()).targets(OUTSIDE)  # not evaluated here: kept


def test_a_windows_host_is_to_run_only_controls_of_its_platform_and_plays() -> None:
    catalog = load_catalog()
    every = [c.id for c in catalog.all()]
    plays = plays_of("site.yml")
    controls = host_controls(WINDOWS, plays, catalog, every)
    assert controls and all("windows" in catalog[c].platforms for c in controls)
    assert {catalog[c].family for c in controls} == {
        "workstation_windows",
        "remote_access",
        "compliance_facts",
    }
    linux = host_controls(LINUX, plays, catalog, every)
    assert {catalog[c].family for c in linux} == {"workstation_linux", "remote_access", "compliance_facts"}
    assert all(set(catalog[c].platforms) - {"windows"} for c in linux)
    assert host_controls(OUTSIDE, plays, catalog, every) == ()
    # Reached over PSRP but in no group a play runs on: no play, no control.
    assert host_controls(WINDOWS_BY_CONNECTION, plays, catalog, every) == ()


def test_hosts_in_different_plays_run_in_batches_and_one_batch_keeps_the_limit() -> None:
    catalog = load_catalog()
    plays = plays_of("site.yml")
    controls = selected("WL-ACC-07", "WW-NET-01")
    mixed = batches([WINDOWS, LINUX, OUTSIDE], plays, catalog, controls, "pc1,win1,nas1")
    assert [(b.limit, dict(b.controls)) for b in mixed] == [
        ("pc1", {"pc1": ("WL-ACC-07",)}),
        ("win1", {"win1": ("WW-NET-01",)}),
    ]
    [alone] = batches([LINUX], plays, catalog, controls, "pc*")
    assert alone.limit == "pc*"
    assert batches([OUTSIDE], plays, catalog, controls, None) == []


def test_an_unreachable_host_is_accounted_only_on_its_own_controls() -> None:
    folder = ResultFolder(
        True,
        ["WL-ACC-07", "WW-NET-01", "RA-SSH-01"],
        targets={"win1": ["WW-NET-01"], "pc1": ["WL-ACC-07", "RA-SSH-01"]},
    )
    folder.feed(unreachable("win1"))
    folder.feed(failed("pc1", "Check the waivers"))
    hosts = folder.outcomes()
    assert {c: r.status for c, r in hosts["win1"].results.items()} == {"WW-NET-01": "unreachable"}
    assert {c: r.status for c, r in hosts["pc1"].results.items()} == {
        "RA-SSH-01": "error",
        "WL-ACC-07": "error",
    }


def test_a_targeted_host_no_event_names_is_reported_not_reached() -> None:
    folder = ResultFolder(
        True, ["WL-ACC-07", "WW-NET-01"], targets={"pc1": ["WL-ACC-07"], "win1": ["WW-NET-01"]}
    )
    folder.feed(unreachable("pc1"))
    hosts = folder.outcomes()
    assert sorted(hosts) == ["pc1", "win1"]
    assert hosts["win1"].reachable is False and hosts["win1"].errors == [NOT_REACHED]
    assert {c: r.status for c, r in hosts["win1"].results.items()} == {"WW-NET-01": "unreachable"}
    assert folder.outcomes()["win1"].errors == [NOT_REACHED]  # asked twice, said once


def test_a_run_that_named_no_host_has_no_outcome_for_the_caller_to_say_why() -> None:
    folder = ResultFolder(True, ["WL-ACC-07"], targets={"pc1": ["WL-ACC-07"]})
    assert folder.outcomes() == {}


def test_without_targets_every_selected_control_is_accounted_as_before() -> None:
    folder = ResultFolder(True, ["WL-ACC-07", "WW-NET-01"])
    folder.feed(unreachable("pc1"))
    assert sorted(folder.outcomes()["pc1"].results) == ["WL-ACC-07", "WW-NET-01"]


def mixed_inventory(path: Path) -> Path:
    body = {
        "all": {
            "children": {
                "linux_workstations": {"hosts": {"pc1": {"ansible_host": "127.0.0.1"}}},
                "windows_workstations": {
                    "hosts": {"win1": {"ansible_host": "127.0.0.1"}},
                    "vars": {"ansible_user": "admin", "ansible_password": "x"},
                },
                "backup_servers": {"hosts": {"nas1": {"ansible_host": "127.0.0.1"}}},
            }
        }
    }
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def test_an_audit_lists_the_inventory_once_and_runs_each_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every host of the first batch unreachable: the second batch still runs, each host is in the
    report on its own controls, and ansible-inventory ran once, with the run's --limit."""
    monkeypatch.setenv("CAREHARD_STATE_DIR", str(tmp_path / "state"))
    listings: list[list[str]] = []
    real_run = subprocess.run

    def counted(cmd: Any, *args: Any, **kwargs: Any) -> Any:
        if "ansible-inventory" in str(cmd[0]):
            listings.append(list(cmd))
        return real_run(cmd, *args, **kwargs)

    requests: list[PlaybookRun] = []

    def fake_playbook(run_id: str, ident: str, request: PlaybookRun, on_event: Any) -> RunnerOutcome:
        requests.append(request)
        for host in str(request.limit).split(","):
            on_event(unreachable(host))
        return RunnerOutcome("failed", 4, tmp_path / "artifacts" / ident)

    monkeypatch.setattr(inventory_module.subprocess, "run", counted)
    monkeypatch.setattr(pipeline, "run_playbook", fake_playbook)
    selection = Selection(level=3, only=("WL-ACC-07", "WW-NET-01"), limit="all:!nas2")
    job = AssessJob("audit", mixed_inventory(tmp_path / "hosts.yml"), selection)
    result = run_job(job, Outputs(tmp_path / "out", ("json",)))
    assert len(listings) == 1 and listings[0][-2:] == ["--limit", "all:!nas2"]
    assert [r.limit for r in requests] == ["pc1", "win1"]
    hosts = result.run.hosts
    assert sorted(hosts) == ["pc1", "win1"]  # nas1 is in no play: not a target
    assert {c: r.status for c, r in hosts["pc1"].results.items()} == {"WL-ACC-07": "unreachable"}
    assert {c: r.status for c, r in hosts["win1"].results.items()} == {"WW-NET-01": "unreachable"}
    assert result.exit_code == 3


def test_an_inventory_whose_hosts_no_play_runs_on_is_refused_before_any_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREHARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(pipeline, "run_playbook", lambda *args: pytest.fail("ran a playbook"))
    job = AssessJob("audit", mixed_inventory(tmp_path / "hosts.yml"), Selection(level=1, limit="nas1"))
    with pytest.raises(UsageError, match="no host of the inventory matching --limit nas1 is in a group"):
        run_job(job, Outputs(tmp_path / "out", ("json",)))
