"""The SSH server after harden, read from the hosts themselves (sshd -T, files), and the AllowGroups guard."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.clirun import carehard, evidence, load_report, statuses
from tests.integration.linux_cycle import WAIVED, LinuxCycle, inventory_vars
from tests.testhosts import harness

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = yaml.safe_load((ROOT / "roles/workstation_linux/defaults/main.yml").read_text(encoding="utf-8"))
HARDENED = ("deb12", "deb13")

# Effective values (sshd -T) every hardened host must show; the waived host (WAIVED) keeps X11 forwarding.
WANTED = [
    "permitrootlogin no",
    "passwordauthentication no",
    "permitemptypasswords no",
    "maxauthtries 4",
    "logingracetime 60",
    "clientaliveinterval 300",
    "clientalivecountmax 3",
    "allowgroups sudo",
    "banner /etc/issue.net",
    "allowagentforwarding no",
    "allowtcpforwarding no",
    "loglevel VERBOSE",
    "ignorerhosts yes",
    "hostbasedauthentication no",
    "permituserenvironment no",
]


def sshd_settings(cycle: LinuxCycle, role: str) -> list[str]:
    return cycle.hosts[role].sudo("sshd -T").stdout.splitlines()


@pytest.mark.parametrize("role", HARDENED)
def test_effective_sshd_configuration_after_harden(linux_cycle: LinuxCycle, role: str) -> None:
    lines = sshd_settings(linux_cycle, role)
    missing = [w for w in WANTED if w not in lines]
    assert not missing, f"{role}: not in sshd -T: {missing}"
    x11 = "x11forwarding yes" if role == WAIVED else "x11forwarding no"
    assert x11 in lines
    hostkeys = next(line.split(" ", 1)[1] for line in lines if line.startswith("hostkeyalgorithms "))
    offered = set(hostkeys.split(","))
    assert offered <= set(DEFAULTS["workstation_linux_ssh_host_key_algorithms"]), offered
    assert not offered & {"ssh-rsa", "ssh-dss"}


@pytest.mark.parametrize("role", HARDENED)
def test_banner_holds_the_legal_warning(linux_cycle: LinuxCycle, role: str) -> None:
    content = linux_cycle.hosts[role].sudo("cat /etc/issue.net").stdout
    assert content == DEFAULTS["workstation_linux_ssh_banner_text"].strip() + "\n"
    assert "Debian" not in content


@pytest.mark.parametrize("role", HARDENED)
def test_sshd_configuration_is_root_only(linux_cycle: LinuxCycle, role: str) -> None:
    out = linux_cycle.hosts[role].sudo(
        "stat -c '%U:%G %a %n' /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf"
    )
    lines = out.stdout.splitlines()
    assert any(line.endswith("/00-carehard.conf") for line in lines), lines
    for line in lines:
        owner, mode, _path = line.split(" ", 2)
        assert owner == "root:root" and mode == "600", line
    directory = linux_cycle.hosts[role].sudo("stat -c '%U:%G %a' /etc/ssh/sshd_config.d").stdout.split()
    assert directory[0] == "root:root" and directory[1] in ("700", "750", "755"), directory
    keys = linux_cycle.hosts[role].sudo("stat -c '%U:%G %a %n' /etc/ssh/ssh_host_*_key*").stdout.splitlines()
    assert keys, role
    for line in keys:
        owner, mode, path = line.split(" ", 2)
        assert owner == "root:root" and mode == ("644" if path.endswith(".pub") else "600"), line


def test_allow_groups_that_would_lock_the_admin_out_is_refused(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path: Path
) -> None:
    spare = fleet["spare"]
    inventory = harness.write_inventory(
        tmp_path / "hosts.yml",
        [spare],
        **{**inventory_vars(), "workstation_linux_ssh_allow_groups": ["nosuchgroup"]},
    )
    out = tmp_path / "harden"
    proc = carehard("harden", "--yes", "--only", "WL-SSH-09", "-i", inventory, "--output", out)
    assert (out / "report.json").exists(), proc.stdout + proc.stderr
    report = load_report(out)
    assert statuses(report, spare.name) == {"WL-SSH-09": "fail"}
    text = evidence(report, spare.name, "WL-SSH-09")
    assert "not changed" in text and "workstation_linux_ssh_allow_groups" in text, text
    assert "allowgroups" not in spare.sudo("sshd -T").stdout
    assert spare.ssh(harness.ADMIN, "sudo -n true", check=False).returncode == 0
