"""Services after harden, read from the hosts themselves: what dirty/services.sh put in use is
out of use (removed, or its units stopped and masked where the package stays), the package that
depends on Bluetooth is still there, and only SSH listens beyond loopback."""

from __future__ import annotations

import pytest

from tests.integration.linux_cycle import LinuxCycle, host_command

pytestmark = pytest.mark.integration

HARDENED = ("deb12", "deb13")
REMOVED = ("autofs", "ftp")
# Kept installed (the rsync tool, a package needing bluez, nftables beside ufw): units masked.
MASKED = {"rsync": "rsync.service", "bluez": "bluetooth.service", "nftables": "nftables.service"}


def installed(cycle: LinuxCycle, role: str, package: str) -> bool:
    out = host_command(cycle.hosts[role], f"dpkg-query -W -f='${{db:Status-Status}}' {package}").stdout
    return out.strip() == "installed"


@pytest.mark.parametrize("role", HARDENED)
def test_services_removable_are_removed(linux_cycle: LinuxCycle, role: str) -> None:
    assert [p for p in REMOVED if installed(linux_cycle, role, p)] == []


@pytest.mark.parametrize("role", HARDENED)
def test_services_kept_installed_are_stopped_and_masked(linux_cycle: LinuxCycle, role: str) -> None:
    host = linux_cycle.hosts[role]
    assert installed(linux_cycle, role, "carehard-dirty-desktop"), "bluez's dependent was taken away"
    problems = []
    for package, unit in MASKED.items():
        state = host_command(
            host, f"systemctl show -p ActiveState,UnitFileState --value {unit}"
        ).stdout.split()
        if not installed(linux_cycle, role, package) or state != ["inactive", "masked"]:
            problems.append(f"{package}: installed={installed(linux_cycle, role, package)}, {unit} {state}")
    assert not problems, f"{role}: " + "; ".join(problems)


def exposed_ports(ss: str) -> set[str]:
    """ "port/proto" of every socket of `ss -Hlntu` bound beyond loopback."""
    exposed = set()
    for line in ss.splitlines():
        address, port = line.split()[4].rsplit(":", 1)
        if not address.strip("[]").split("%")[0].startswith(("127.", "::1", "::ffff:127.")):
            exposed.add(f"{port}/{line.split()[0]}")
    return exposed


@pytest.mark.parametrize("role", HARDENED)
def test_the_listening_audit_names_every_exposed_port_but_ssh(linux_cycle: LinuxCycle, role: str) -> None:
    """WL-SVC-10's last evidence names what really listens beyond loopback (dirty/fleet.sh leaves
    two listeners there, which nothing removes), and never SSH (sshd is approved by default)."""
    exposed = exposed_ports(host_command(linux_cycle.hosts[role], "ss -Hlntu").stdout)
    evidence = linux_cycle.evidence("harden2", role, "WL-SVC-10")
    assert "22/tcp" in exposed
    assert not [p for p in exposed - {"22/tcp"} if f"{p} on " not in evidence], (
        f"{role}: {exposed}\n{evidence}"
    )
    assert "22/tcp on" not in evidence
