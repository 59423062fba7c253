"""Remote-control tools (RA-RCT-*) through the Linux cycle, and the hosts' real state after it.

Before the first audit, dirty/remote_tools.sh planted on every cycle host a dummy `teamviewer`
package (teamviewerd.service running /opt/teamviewer/tv_bin/teamviewerd, a shell script) and a
dummy `x11vnc` package (x11vnc.service), plus a second x11vnc started by hand outside any
x11vnc unit. None of them is in remote_access_tools_allowed.
"""

from __future__ import annotations

import re

import pytest

from tests.integration.linux_cycle import LinuxCycle, host_command

pytestmark = pytest.mark.integration

HOSTS = ("deb12", "deb13")
PLANTED = ("RA-RCT-01", "RA-RCT-04")
ABSENT = ("RA-RCT-02", "RA-RCT-03", "RA-RCT-05", "RA-RCT-06", "RA-RCT-07")
CYCLE = {"audit1": "fail", "harden1": "fixed", "audit2": "pass", "harden2": "pass"}
# What the first audit must name (regexes): package and version, unit and state, the process's
# arguments, the installer's directory.
FOUND = {
    "RA-RCT-01": [
        r"packages teamviewer 15\.61\.3",
        r"teamviewerd\.service \(enabled, running\)",
        r"pid \d+ /bin/sh /opt/teamviewer/tv_bin/teamviewerd -d",
        r"files /opt/teamviewer",
    ],
    "RA-RCT-04": [
        r"packages x11vnc 0\.9\.16-9",
        r"x11vnc\.service \(enabled, running\)",
        r"pid \d+ /bin/sh /usr/bin/x11vnc -forever",
        r"pid \d+ /bin/sh /usr/bin/x11vnc -localhost",  # the one started by hand: only its process shows
    ],
}
# What harden1 must have changed: the x11vnc started by hand outlives its package and unit.
CHANGED = {
    "RA-RCT-01": ["Stop, disable and mask the TeamViewer services", "Remove the TeamViewer packages"],
    "RA-RCT-04": [
        "Stop, disable and mask the VNC server services",
        "Remove the VNC server packages",
        "Stop the VNC server processes",
    ],
}
PROCESS = re.compile(r"^\s*\d+ /bin/sh (/opt/teamviewer/tv_bin/teamviewerd|/usr/bin/x11vnc)( |$)", re.M)


@pytest.mark.parametrize("control", PLANTED)
def test_planted_tool_fails_is_removed_then_passes(linux_cycle: LinuxCycle, control: str) -> None:
    problems = []
    for role in HOSTS:
        for step, want in CYCLE.items():
            got = linux_cycle.result(step, role, control)
            if got["status"] != want:
                problems.append(f"{role}/{step}: {got['status']}, expected {want}: {got['evidence'][:600]}")
        evidence = linux_cycle.evidence("audit1", role, control)
        for pattern in FOUND[control]:
            if not re.search(pattern, evidence):
                problems.append(f"{role}/audit1: evidence lacks '{pattern}': {evidence[:800]}")
        harden = linux_cycle.evidence("harden1", role, control)
        for change in CHANGED[control]:
            if f"changed: {change}" not in harden:
                problems.append(f"{role}/harden1: '{change}' did not change: {harden[:800]}")
    assert not problems, "\n".join(problems)


def test_second_audit_says_the_units_are_masked(linux_cycle: LinuxCycle) -> None:
    for role in HOSTS:
        tv = linux_cycle.evidence("audit2", role, "RA-RCT-01")
        assert "TeamViewer: not installed, no service running, no process" in tv, f"{role}: {tv}"
        assert "teamviewerd.service (masked)" in tv, f"{role}: {tv}"
        vnc = linux_cycle.evidence("audit2", role, "RA-RCT-04")
        assert "x11vnc.service (masked)" in vnc, f"{role}: {vnc}"


@pytest.mark.parametrize("control", ABSENT)
def test_tools_not_planted_pass_from_the_first_audit(linux_cycle: LinuxCycle, control: str) -> None:
    for role in HOSTS:
        for step in CYCLE:
            got = linux_cycle.result(step, role, control)
            assert got["status"] == "pass", f"{role}/{step}: {got['status']}: {got['evidence'][:600]}"
        evidence = linux_cycle.evidence("audit1", role, control)
        assert ": not installed, no service running, no process" in evidence, f"{role}: {evidence}"


def test_packages_processes_and_units_are_gone_from_the_hosts(linux_cycle: LinuxCycle) -> None:
    for role in HOSTS:
        host = linux_cycle.hosts[role]
        for package in ("teamviewer", "x11vnc"):
            status = host_command(host, f"dpkg-query -W -f='${{db:Status-Status}}' {package}").stdout
            assert status in ("", "not-installed", "config-files"), f"{role}: {package} {status}"
        assert host_command(host, "test -e /opt/teamviewer").returncode != 0, role
        ps = host_command(host, "ps -ww -eo pid=,args=").stdout
        assert not PROCESS.search(ps), f"{role}: {PROCESS.findall(ps)}"
        units = ("teamviewerd.service", "x11vnc.service", "carehard-dirty-vnc-by-hand.service")
        active = host_command(host, "systemctl is-active " + " ".join(units)).stdout.split()
        assert "active" not in active, f"{role}: {dict(zip(units, active, strict=False))}"
        enabled = host_command(host, "systemctl is-enabled teamviewerd.service x11vnc.service").stdout.split()
        assert enabled == ["masked", "masked"], f"{role}: {enabled}"
