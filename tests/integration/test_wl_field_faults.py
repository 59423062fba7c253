"""What a fleet really has, and the lab hid: no package mirror, become set by the inventory, an
sshd configuration someone else broke. Each time the run goes on and loses nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.clirun import carehard, evidence, load_report, statuses
from tests.integration.own_hosts import own_hosts
from tests.testhosts import harness

# state_dir: carehard keeps this session's history, never the user's own.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("state_dir")]

STOPPED = "the run stopped on this host"
# Packages the test image's apt cache lacks (what the roles install by default needs them):
# cracklib-runtime, pam_pwquality's dictionary (WL-ACC-01, workstation_linux_pwquality_dictcheck).
MISSING_PACKAGES = {"WL-ACC-01": "cracklib-runtime"}
REAL = {"pass", "fixed", "fail", "not_applicable"}
Hosts = dict[str, harness.TestHost]


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    """Two fresh Debian 12 hosts of this module's own, up only while it runs: `defaults` hardened
    with the role defaults, `sitebecome` with become in group_vars, then an sshd config broken."""
    with own_hosts(tmp_path_factory.mktemp("field"), "field", 2) as booted:
        yield dict(zip(("defaults", "sitebecome"), booted, strict=True))


def harden(inventory: Path, out: Path, *args: str) -> dict:
    proc = carehard("harden", "--yes", "-i", inventory, "--output", out, *args)
    assert (out / "report.json").exists(), (
        f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return load_report(out)


def test_harden_with_the_role_defaults_and_no_mirror(hosts: Hosts, tmp_path: Path) -> None:
    """No inventory variable at all: the role's defaults, on a host that cannot reach any mirror.
    Nothing is needed for the test runner to keep its access: with no carehard_admin_networks the
    firewall controls refuse (fail) rather than turn the firewall on, and root login is closed
    while the run logs in as admin."""
    host = hosts["defaults"]
    inventory = harness.write_inventory(tmp_path / "hosts.yml", [host])
    report = harden(inventory, tmp_path / "harden", "--level", "3")
    results = statuses(report, host.name)
    stopped = [c for c in results if STOPPED in evidence(report, host.name, c)]
    assert not stopped, f"controls never evaluated: {stopped}"
    for control, package in MISSING_PACKAGES.items():
        assert results[control] == "error", evidence(report, host.name, control)
        assert package in evidence(report, host.name, control)
    others = {c: s for c, s in results.items() if c not in MISSING_PACKAGES and s not in REAL}
    assert not others, {c: evidence(report, host.name, c)[:300] for c in others}
    # The packages the image holds were installed from its lists although the refresh failed.
    assert results["WL-LOG-01"] in ("fixed", "pass") and results["WL-FW-01"] == "fail"
    assert host.ssh(harness.ADMIN, "sudo -n true", check=False).returncode == 0


def site_inventory(directory: Path, host: harness.TestHost) -> Path:
    """An inventory as sites write one: a hosts file, and become in group_vars/ next to it."""
    directory.mkdir()
    harness.write_inventory(directory / "hosts.yml", [host], workstation_linux_ssh_allow_groups=["sudo"])
    (directory / "group_vars").mkdir()
    group_vars = {"ansible_become": True, "ansible_become_method": "sudo"}
    (directory / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars), encoding="utf-8")
    return directory


def test_become_in_group_vars_still_finds_the_login_user(hosts: Hosts, tmp_path: Path) -> None:
    """ansible_become: true in group_vars outranks a task's `become: false`: the login probe must
    still answer admin (who logged in), not root (whom sudo made it)."""
    host = hosts["sitebecome"]
    inventory = site_inventory(tmp_path / "site", host)
    report = harden(inventory, tmp_path / "harden", "--only", "WL-SSH-01,WL-SSH-09,WL-ACC-06")
    results = statuses(report, host.name)
    assert results["WL-SSH-01"] in ("fixed", "pass"), evidence(report, host.name, "WL-SSH-01")
    assert "logged in over SSH as root" not in evidence(report, host.name, "WL-SSH-01")
    assert results["WL-SSH-09"] in ("fixed", "pass"), evidence(report, host.name, "WL-SSH-09")
    assert results["WL-ACC-06"] in ("fixed", "pass"), evidence(report, host.name, "WL-ACC-06")
    root = host.ssh("root", "true", check=False)
    assert root.returncode == 255 and "Permission denied" in root.stderr
    assert host.ssh(harness.ADMIN, "sudo -n true", check=False).returncode == 0


def sshd_pid(host: harness.TestHost) -> str:
    return host.sudo("systemctl show -p MainPID --value ssh").stdout.strip()


def sshd_files(host: harness.TestHost) -> str:
    return host.sudo("cd /etc/ssh && find . -type f | sort | xargs sha256sum").stdout


def test_sshd_config_broken_before_harden_is_reported_not_reloaded(hosts: Hosts, tmp_path: Path) -> None:
    host = hosts["sitebecome"]
    inventory = harness.write_inventory(tmp_path / "hosts.yml", [host])
    host.sudo("printf 'NoSuchOption yes\\n' >> /etc/ssh/sshd_config")
    try:
        before = sshd_pid(host), sshd_files(host)
        ssh_ids = [f"WL-SSH-{n:02d}" for n in range(1, 17)]
        report = harden(
            inventory, tmp_path / "harden", "--only", ",".join([*ssh_ids, "WL-ACC-07", "WL-LOG-08"])
        )
        results = statuses(report, host.name)
        for control in ssh_ids:
            assert results[control] == "error", (control, evidence(report, host.name, control))
            text = evidence(report, host.name, control)
            assert "already invalid (sshd -t)" in text and "NoSuchOption" in text, text
        assert results["WL-ACC-07"] in REAL and results["WL-LOG-08"] in REAL
        assert before[0] != "0" and (sshd_pid(host), sshd_files(host)) == before  # not reloaded, not written
    finally:
        host.sudo("sed -i '/^NoSuchOption yes$/d' /etc/ssh/sshd_config")
    assert host.ssh(harness.ADMIN, "sudo -n true", check=False).returncode == 0
