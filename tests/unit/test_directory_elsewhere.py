"""A directory (a host of the `directories` group) is read from this machine by the directory play and
never logged in to: bootstrap skips it, exposure scan neither scans it nor scans from it, a vendor window
leaves it out, facts does not run on it, schedule install checks it now as the nightly audit would, and
doctor checks it over LDAP (test_doctor_directory.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import load_catalog
from carehard.errors import UsageError
from carehard.exposure import ScanOptions, plan_scan
from carehard.jobs.facts import FactsJob
from carehard.vendors import plan_window
from tests.clirun import carehard

DIRECTORY = "chu-example.fr"
DECLARED = {
    "carehard_directory_domain": DIRECTORY,
    "carehard_directory_server": "192.0.2.53",
    "carehard_directory_user": "svc-carehard@chu-example.fr",
    "carehard_directory_password_file": "/nonexistent/ad.pass",
}


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("key") / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tech@acme", "-f", path], check=True)
    return Path(f"{path}.pub").read_text(encoding="utf-8").strip()


def site(tmp_path: Path, linux: bool = True, **all_vars: Any) -> Path:
    """ws-01 and edge (Linux, over SSH) unless `linux` is false, and the directory; group chu holds
    ws-01 and the directory."""
    children: dict[str, Any] = {"directories": {"hosts": {DIRECTORY: DECLARED}}}
    children["chu"] = {"hosts": {DIRECTORY: {}, **({"ws-01": {}} if linux else {})}}
    if linux:
        children["linux_workstations"] = {
            "hosts": {
                "ws-01": {"ansible_host": "192.0.2.11"},
                "edge": {"ansible_host": "192.0.2.1"},
            },
            "vars": {"ansible_user": "carehard-admin"},
        }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"vars": all_vars, "children": children}}), encoding="utf-8")
    return path


def test_bootstrap_skips_a_directory_with_a_pointer(tmp_path: Path) -> None:
    inventory = site(tmp_path, linux=False)
    proc = carehard("bootstrap", "-i", inventory, env={"HOME": str(tmp_path)})
    assert proc.returncode == 2
    assert f"{DIRECTORY}: skipped, a directory: carehard reads it from this machine (docs/directory.md)" in (
        proc.stdout
    )
    assert proc.stderr == f"carehard: error: inventory {inventory} has no Linux host to bootstrap\n"
    assert not (tmp_path / ".ssh").exists()  # no key made: nothing to bootstrap


def test_exposure_scan_leaves_a_directory_out_of_its_targets(tmp_path: Path) -> None:
    plan = plan_scan(ScanOptions(site(tmp_path), "edge", (22,)))
    assert [t.name for t in plan.targets] == ["ws-01"]
    assert plan.skipped == (
        (DIRECTORY, "a directory (group directories): scan its domain controllers as hosts"),
    )


def test_exposure_scan_never_scans_from_a_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        plan_scan(ScanOptions(site(tmp_path), DIRECTORY, (22,)))
    assert str(info.value) == (
        f"vantage host {DIRECTORY} is a directory (group directories), which carehard reads from this machine"
        " and never logs in to: --from names a Linux host reached over SSH"
    )


def vendors(key: str, hosts: list[str]) -> dict[str, Any]:
    vendor = {"name": "acme", "keys": [key], "hosts": hosts, "max_window": "8h"}
    return {"carehard_bastions": ["198.51.100.7"], "carehard_vendors": [vendor]}


def test_a_vendor_window_leaves_a_directory_out(tmp_path: Path, key: str) -> None:
    inventory = site(tmp_path, **vendors(key, ["all", "directories", "ws-01"]))
    window = plan_window(inventory, "acme", "close")
    assert DIRECTORY not in [h.name for h in window.hosts]
    assert [h.name for h in plan_window(inventory, "acme", "close", group="chu").hosts] == ["ws-01"]


def test_a_vendor_window_is_refused_on_a_directory(tmp_path: Path, key: str) -> None:
    inventory = site(tmp_path, **vendors(key, ["all", "directories"]))
    with pytest.raises(UsageError) as info:
        plan_window(inventory, "acme", "close", host=DIRECTORY)
    assert str(info.value) == (
        f"host {DIRECTORY} is a directory (group directories), which carehard reads and never logs in to: a"
        " vendor window opens on a host vendors log in to"
    )
    with pytest.raises(UsageError) as info:
        plan_window(inventory, "acme", "close", group="directories")
    assert str(info.value).startswith("group directories holds only directories")


def test_facts_does_not_run_on_a_directory(tmp_path: Path) -> None:
    job = FactsJob(site(tmp_path), None)
    job.prepare(load_catalog())
    assert sorted(name for batch in job._batches for name in batch.controls) == ["edge", "ws-01"]
    (tmp_path / "only").mkdir()
    only_directory = site(tmp_path / "only", linux=False)
    with pytest.raises(
        UsageError, match=r"no host of the inventory is in a group compliance_facts\.yml runs"
    ):
        FactsJob(only_directory, None).prepare(load_catalog())


def test_schedule_install_audit_checks_the_directories_now(tmp_path: Path) -> None:
    """The nightly audit would refuse the directory every night: the install refuses it now."""
    root = tmp_path / "root"
    for directory in ("etc/systemd/system", "etc/cron.d", "run/systemd/system"):
        (root / directory).mkdir(parents=True)
    inventory = site(tmp_path)
    env = {"CAREHARD_SCHEDULE_ROOT": str(root)}
    proc = carehard("schedule", "install", "audit", "-i", inventory, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == (
        f"carehard: error: the scheduled command would not run: inventory {inventory}, host {DIRECTORY}:"
        " carehard_directory_password_file: /nonexistent/ad.pass does not exist on this machine (the"
        " directory is read from here): give the file holding the account's password\n"
    )
    assert not [p for p in root.rglob("*") if p.is_file()]
    proc = carehard(
        "schedule", "install", "audit", "-i", inventory, "--dry-run", "--", "--only", "WL-SSH-01", env=env
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
