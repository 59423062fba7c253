"""Every targeted host is in the report, with only the controls its plays run (issue 18, items 2
and 13): a Linux host that is down no longer ends the Windows plays, and an unreachable Windows
host is not counted on Linux controls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import load_catalog
from tests.clirun import carehard, load_report, statuses
from tests.testhosts import harness

pytestmark = pytest.mark.integration

WINDOWS_FAMILIES = ("workstation_windows", "remote_access", "compliance_facts")


def mixed_inventory(path: Path, linux: harness.TestHost, windows: dict[str, dict[str, Any]]) -> Path:
    """`linux` in linux_workstations, the hosts of `windows` (name: variables) in windows_workstations."""
    harness.write_inventory(path, [linux])
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    body["all"]["children"]["windows_workstations"] = {"hosts": windows}
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def host_entry(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in report["hosts"] if h["name"] == name)


def test_an_unreachable_windows_host_has_only_windows_controls(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path: Path
) -> None:
    """WinRM closed: the Windows host points at a test host where nothing listens on 5985/5986."""
    gone, spare = fleet["gone"], fleet["spare"]
    windows = {
        "win-closed": {"ansible_host": spare.address, "ansible_user": "admin", "ansible_password": "x"}
    }
    inventory = mixed_inventory(tmp_path / "hosts.yml", gone, windows)
    result = carehard("audit", "-i", inventory, "--level", "3", "--output", tmp_path / "out")
    assert result.returncode == 3, result.stdout + result.stderr
    report = load_report(tmp_path / "out")
    assert sorted(h["name"] for h in report["hosts"]) == sorted([gone.name, "win-closed"])
    catalog = load_catalog()
    win = statuses(report, "win-closed")
    ran = {c["id"] for c in report["controls"]}
    expected = {c.id for c in catalog.all() if c.family in WINDOWS_FAMILIES and "windows" in c.platforms}
    expected &= ran
    assert set(win) == expected and set(win.values()) == {"unreachable"}
    assert not any(cid.startswith("WL-") for cid in win)
    assert host_entry(report, "win-closed")["reachable"] is False
    linux = statuses(report, gone.name)
    assert linux and set(linux.values()) == {"unreachable"}
    assert all(set(catalog[cid].platforms) - {"windows"} for cid in linux)
    assert not any(cid.startswith("WW-") for cid in linux)
    # The report's summary counts each host on its own controls only.
    assert report["summary"]["unreachable"] == len(win) + len(linux)


def test_the_windows_plays_run_when_every_linux_host_is_down(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path: Path
) -> None:
    """Ansible ends a playbook once every host of one play failed: the Linux play here. A host of
    windows_workstations reached over SSH (a Linux test host standing in for Windows) proves that the
    Windows plays still ran: its facts were gathered by them, and its control has a result of its own."""
    gone, spare = fleet["gone"], fleet["spare"]
    windows = {spare.name: {"ansible_host": spare.address, "ansible_connection": "ssh"}}
    inventory = mixed_inventory(tmp_path / "hosts.yml", gone, windows)
    body = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    body["all"]["vars"] = body["all"]["children"]["linux_workstations"].pop("vars")
    inventory.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    result = carehard("audit", "-i", inventory, "--only", "WL-ACC-07,WW-NET-01", "--output", tmp_path / "out")
    assert result.returncode == 3, result.stdout + result.stderr
    report = load_report(tmp_path / "out")
    assert statuses(report, gone.name) == {"WL-ACC-07": "unreachable"}
    stand_in = host_entry(report, spare.name)
    assert stand_in["reachable"] is True, stand_in
    assert stand_in["facts"]["os"] == "Debian", stand_in  # gathered by the Windows plays
    assert set(statuses(report, spare.name)) == {"WW-NET-01"}
    assert statuses(report, spare.name)["WW-NET-01"] != "unreachable"
