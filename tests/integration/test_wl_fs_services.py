"""Filesystems, services and packages after harden, read from the hosts themselves.

The cycle hosts ran dirty/fs_services.sh first (a telnet server, Avahi, a world-writable
file and directory, an unowned file, an unexpected SUID executable). They are containers:
the fstab options are persisted, not mounted live, and chrony is enabled but not started.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clirun import statuses
from tests.integration.linux_cycle import LinuxCycle, audit_alone, host_command
from tests.testhosts import harness

pytestmark = pytest.mark.integration

HARDENED = ("deb12", "deb13")
REMOVED = ("inetutils-telnetd", "avahi-daemon")
AUDIT_ONLY = ("WL-FS-03", "WL-FS-04", "WL-FS-05")


def fstab_options(fstab: str, mount_point: str) -> list[str]:
    for line in fstab.splitlines():
        fields = line.split()
        if len(fields) >= 4 and not fields[0].startswith("#") and fields[1] == mount_point:
            return fields[3].split(",")
    return []


@pytest.mark.parametrize("mount_point", ["/tmp", "/dev/shm"])
def test_fstab_mounts_tmp_and_shm_nodev_nosuid_noexec(linux_cycle: LinuxCycle, mount_point: str) -> None:
    for role in HARDENED:
        fstab = host_command(linux_cycle.hosts[role], "cat /etc/fstab").stdout
        options = fstab_options(fstab, mount_point)
        assert {"nodev", "nosuid", "noexec"} <= set(options), f"{role}: {fstab}"
        evidence = linux_cycle.evidence("audit2", role, "WL-FS-01" if mount_point == "/tmp" else "WL-FS-02")
        assert "not applied live: host is a container" in evidence, evidence


def test_legacy_servers_and_avahi_are_removed(linux_cycle: LinuxCycle) -> None:
    for role in HARDENED:
        host = linux_cycle.hosts[role]
        for package in REMOVED:
            status = host_command(host, f"dpkg-query -W -f='${{db:Status-Status}}' {package}").stdout
            assert status in ("", "not-installed", "config-files"), f"{role}: {package} {status}"
        active = host_command(host, "systemctl is-active avahi-daemon.service").stdout.strip()
        assert active != "active", role


def test_unattended_upgrades_installs_security_updates(linux_cycle: LinuxCycle) -> None:
    for role in HARDENED:
        host = linux_cycle.hosts[role]
        auto = host_command(host, "cat /etc/apt/apt.conf.d/20auto-upgrades").stdout
        assert 'APT::Periodic::Update-Package-Lists "1";' in auto, f"{role}: {auto}"
        assert 'APT::Periodic::Unattended-Upgrade "1";' in auto, f"{role}: {auto}"
        origins = host_command(host, "apt-config dump | grep -i 'Origins-Pattern.*security'").stdout
        assert origins.strip(), role
        timers = host_command(host, "systemctl is-enabled apt-daily.timer apt-daily-upgrade.timer").stdout
        assert timers.split() == ["enabled", "enabled"], f"{role}: {timers}"


def test_chrony_is_enabled_and_the_evidence_says_the_clock_is_the_machines(linux_cycle: LinuxCycle) -> None:
    for role in HARDENED:
        host = linux_cycle.hosts[role]
        assert host_command(host, "systemctl is-enabled chrony.service").stdout.strip() == "enabled", role
        sources = host_command(host, "grep -E '^(pool|server)' /etc/chrony/chrony.conf").stdout
        assert sources.strip(), role
        evidence = linux_cycle.evidence("audit2", role, "WL-SVC-05")
        assert "time is the machine's to keep" in evidence, evidence


def test_audit_only_controls_pass_on_a_fresh_host(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path: Path
) -> None:
    spare = fleet["spare"]
    proc, report = audit_alone(spare, tmp_path, ",".join(AUDIT_ONLY))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert statuses(report, spare.name) == dict.fromkeys(AUDIT_ONLY, "pass")
    host = next(h for h in report["hosts"] if h["name"] == spare.name)
    for result in host["results"]:
        assert "on the local filesystems (/ " in result["evidence"], result
