"""WL-LOG-*, WL-FW-*: the real state of the cycle hosts after harden, and a firewall that really blocks.

The hosts are containers: auditd is enabled but not running, audit rules are persisted only.
"""

from __future__ import annotations

import pytest

from tests.integration.linux_cycle import LinuxCycle, host_command, read_on
from tests.testhosts import harness

pytestmark = pytest.mark.integration

HARDENED = ("deb12", "deb13")
ADMIN_NETWORK = "198.18.0.0/24"
RULES = {
    "carehard-identity.rules": [
        "-w /etc/passwd -p wa -k identity",
        "-w /etc/shadow -p wa -k identity",
        "-w /etc/group -p wa -k identity",
        "-w /etc/gshadow -p wa -k identity",
        "-w /etc/security/opasswd -p wa -k identity",
    ],
    "carehard-scope.rules": ["-w /etc/sudoers -p wa -k scope", "-w /etc/sudoers.d -p wa -k scope"],
    "carehard-sshd.rules": [
        "-w /etc/ssh/sshd_config -p wa -k sshd_config",
        "-w /etc/ssh/sshd_config.d -p wa -k sshd_config",
    ],
    "carehard-privileged.rules": [
        "-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged",
        "-a always,exit -F path=/usr/bin/passwd -F perm=x -F auid>=1000 -F auid!=unset -k privileged",
    ],
    "carehard-modules.rules": [
        "-a always,exit -F arch=b64 -S init_module,finit_module,delete_module "
        "-F auid>=1000 -F auid!=unset -k kernel_modules",
        "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k kernel_modules",
    ],
}


@pytest.mark.parametrize("role", HARDENED)
def test_audit_rules_are_persisted(linux_cycle: LinuxCycle, role: str) -> None:
    for name, lines in RULES.items():
        content = read_on(linux_cycle, role, f"cat /etc/audit/rules.d/{name}").splitlines()
        missing = [line for line in lines if line not in content]
        assert not missing, f"{role}: {name} lacks {missing}"
        assert read_on(linux_cycle, role, f"stat -c %a /etc/audit/rules.d/{name}").strip() == "640"


@pytest.mark.parametrize("role", HARDENED)
def test_auditd_is_enabled_but_not_started_in_a_container(linux_cycle: LinuxCycle, role: str) -> None:
    assert read_on(linux_cycle, role, "systemctl is-enabled auditd").strip() == "enabled"
    active = host_command(linux_cycle.hosts[role], "systemctl is-active auditd").stdout.strip()
    assert active != "active", f"{role}: auditd runs in a container ({active})"
    evidence = linux_cycle.evidence("harden2", role, "WL-LOG-01")
    assert "not running: host is a container (the kernel audit belongs to the machine)" in evidence


@pytest.mark.parametrize("role", HARDENED)
def test_journal_is_persistent(linux_cycle: LinuxCycle, role: str) -> None:
    dropin = read_on(linux_cycle, role, "cat /etc/systemd/journald.conf.d/60-carehard.conf")
    assert "Storage=persistent" in dropin.splitlines()
    effective = read_on(linux_cycle, role, "systemd-analyze cat-config systemd/journald.conf")
    storage = [line for line in effective.splitlines() if line.startswith("Storage=")]
    assert storage[-1] == "Storage=persistent", storage
    assert read_on(linux_cycle, role, "test -d /var/log/journal && echo yes").strip() == "yes"


@pytest.mark.parametrize("role", HARDENED)
def test_core_dumps_are_disabled(linux_cycle: LinuxCycle, role: str) -> None:
    limits = read_on(linux_cycle, role, "cat /etc/security/limits.d/99-carehard-coredump.conf").split("\n")
    fields = [line.split() for line in limits if line and not line.startswith("#")]
    assert ["*", "hard", "core", "0"] in fields and ["root", "hard", "core", "0"] in fields
    coredump = read_on(linux_cycle, role, "systemd-analyze cat-config systemd/coredump.conf").splitlines()
    assert [line for line in coredump if line.startswith("Storage=")][-1] == "Storage=none"
    assert [line for line in coredump if line.startswith("ProcessSizeMax=")][-1] == "ProcessSizeMax=0"


@pytest.mark.parametrize("role", HARDENED)
def test_ufw_denies_inbound_and_lets_ssh_in_from_the_admin_network_only(
    linux_cycle: LinuxCycle, role: str
) -> None:
    status = read_on(linux_cycle, role, "ufw status verbose")
    assert "Status: active" in status
    assert "Default: deny (incoming)" in status
    ssh_rules = [line for line in status.splitlines() if line.startswith("22")]
    assert ssh_rules, status
    for line in ssh_rules:
        assert "ALLOW IN" in line and ADMIN_NETWORK in line, (
            f"{role}: SSH let in beyond {ADMIN_NETWORK}: {line}"
        )
    assert "ufw allow 22/tcp" not in read_on(linux_cycle, role, "ufw show added")
    assert read_on(linux_cycle, role, "systemctl is-enabled ufw").strip() == "enabled"


@pytest.mark.parametrize("role", HARDENED)
def test_firewall_really_blocks_other_ports(
    linux_cycle: LinuxCycle, fleet: dict[str, harness.TestHost], role: str
) -> None:
    host, spare = linux_cycle.hosts[role], fleet["spare"]
    started = read_on(
        linux_cycle,
        role,
        "cd /tmp && setsid nohup python3 -m http.server 8080 >/dev/null 2>&1 </dev/null & echo $!",
    ).strip()
    try:
        # The server answers locally (loopback is allowed)...
        local = host_command(
            host,
            "for i in 1 2 3 4 5 6 7 8 9 10; do "
            "timeout 2 bash -c '</dev/tcp/127.0.0.1/8080' && exit 0; sleep 0.5; done; exit 1",
        )
        assert local.returncode == 0, f"{role}: the test server did not start"
        # ...but not from another host of the admin network, which still reaches SSH.
        blocked = spare.sudo(f"timeout 3 bash -c '</dev/tcp/{host.address}/8080'", check=False)
        assert blocked.returncode != 0, f"{role}: port 8080 reachable from {spare.name} through the firewall"
        ssh = spare.sudo(f"timeout 3 bash -c '</dev/tcp/{host.address}/22'", check=False)
        assert ssh.returncode == 0, f"{role}: SSH not reachable from {spare.name}: {ssh.stderr}"
    finally:
        if started.isdigit():
            host_command(host, f"kill {started}")


@pytest.mark.parametrize("role", HARDENED)
def test_admin_still_logs_in(linux_cycle: LinuxCycle, role: str) -> None:
    assert linux_cycle.hosts[role].ssh(harness.ADMIN, "id -un").stdout.strip() == harness.ADMIN
