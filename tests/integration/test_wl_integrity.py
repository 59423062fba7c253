"""AIDE, AppArmor and the bootloader after harden, read from the cycle's hosts themselves.

The hosts are containers without GRUB: dirty/integrity.sh gave them /etc/default/grub and a
grub.cfg as a Debian install has them, a disabled AppArmor profile and one forced into complain
mode. What is checked here is what the next boot of such a host would read.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from tests.integration.linux_cycle import LinuxCycle, host_command

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = yaml.safe_load((ROOT / "roles/workstation_linux/defaults/main.yml").read_text(encoding="utf-8"))
INVENTORY = yaml.safe_load(
    (ROOT / "tests/integration/inventory_vars/integrity.yml").read_text(encoding="utf-8")
)
HARDENED = ("deb12", "deb13")


def cmdline_args() -> list[str]:
    args = []
    for control in DEFAULTS["workstation_linux_kernel_cmdline_controls"]:
        listed = control["args"]
        args += DEFAULTS["workstation_linux_kernel_memory_args"] if isinstance(listed, str) else listed
    return args


@pytest.mark.parametrize("role", HARDENED)
def test_aide_has_a_database_and_a_daily_check(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    db = host_command(host, "stat -c '%s %a %U' /var/lib/aide/aide.db").stdout.split()
    assert db and int(db[0]) > 100_000 and db[1:] == ["600", "root"], db
    timer = host_command(
        host, "systemctl is-enabled dailyaidecheck.timer; systemctl is-active dailyaidecheck.timer"
    )
    assert timer.stdout.split() == ["enabled", "active"]


@pytest.mark.parametrize("role", HARDENED)
def test_every_apparmor_profile_enforces_on_disk(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    links = host_command(host, "ls -A /etc/apparmor.d/disable /etc/apparmor.d/force-complain").stdout
    assert "lsb_release" not in links and "nvidia_modprobe" not in links, links
    complain = host_command(
        host, "grep -lE 'flags=\\([^)]*complain' /etc/apparmor.d/* 2>/dev/null; true"
    ).stdout
    assert complain.strip() == "", complain
    assert host_command(host, "test -f /etc/apparmor.d/lsb_release").returncode == 0
    assert host_command(host, "systemctl is-enabled apparmor").stdout.strip() == "enabled"


@pytest.mark.parametrize("role", HARDENED)
def test_grub_would_boot_with_every_argument(linux_cycle: LinuxCycle, role: str) -> None:
    """Sourced as update-grub sources them: /etc/default/grub, then the drop-ins in order."""
    host = linux_cycle.hosts[role]
    script = (
        ". /etc/default/grub; for f in /etc/default/grub.d/*.cfg; do . $f; done; "
        'echo "$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT"'
    )
    line = host_command(host, "bash -c " + shlex.quote(script)).stdout.split()
    missing = [arg for arg in cmdline_args() if arg not in line]
    assert not missing, f"{role}: {missing} not in {line}"
    assert "quiet" in line  # the host's own arguments stay


@pytest.mark.parametrize("role", HARDENED)
def test_grub_password_and_files_for_root_only(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    script = host_command(host, "cat /etc/grub.d/01_carehard_password").stdout
    assert 'set superusers="root"' in script
    assert f"password_pbkdf2 root {INVENTORY['workstation_linux_grub_password_hash']}" in script
    modes = host_command(
        host, "stat -c '%n %a %U %G' /boot /boot/grub /boot/grub/grub.cfg"
    ).stdout.splitlines()
    assert modes == [
        "/boot 700 root root",
        "/boot/grub 700 root root",
        "/boot/grub/grub.cfg 400 root root",
    ], modes
    # The admin still gets in and becomes root (the run itself logged in as admin with a key).
    assert host.sudo("id -u").stdout.strip() == "0"
