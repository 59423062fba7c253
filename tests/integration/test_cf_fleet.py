"""compliance_facts on real hosts: the fleet controls in the Linux cycle (read-only in every
step), an undeclared administrator removed, an unsupported release seen from /etc/os-release."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import carehard
from tests.integration.linux_cycle import LinuxCycle, audit_alone, parallel
from tests.testhosts import harness

pytestmark = pytest.mark.integration

STEPS = ("audit1", "harden1", "audit2", "harden2")
CYCLE_ROLES = ("deb12", "deb13")


def test_fleet_controls_in_the_cycle(linux_cycle: LinuxCycle) -> None:
    for role in CYCLE_ROLES:
        for step in STEPS:
            status = {
                c: linux_cycle.status(step, role, c)
                for c in (
                    "IV-OS-01",
                    "IV-OS-02",
                    "IV-UPD-01",
                    "IV-UPD-02",
                    "EX-SVC-01",
                    "IV-AV-01",
                    "IV-ADM-01",
                    "IV-ENC-01",
                    "IV-TIME-01",
                )
            }
            assert status == {
                "IV-OS-01": "pass",
                "IV-OS-02": "pass",
                "IV-UPD-01": "pass",
                "IV-UPD-02": "pass",
                "EX-SVC-01": "fail",
                "IV-AV-01": "fail",
                "IV-ADM-01": "fail",
                "IV-ENC-01": "not_applicable",
                "IV-TIME-01": "not_applicable",
            }, f"{role}/{step}"
        release = {
            "deb12": "Debian 12 bookworm (LTS): security support until 2028-06-30",
            "deb13": "Debian 13 trixie (LTS): security support until 2030-06-30",
        }[role]
        assert release in linux_cycle.evidence("audit1", role, "IV-OS-01")
        exposure = linux_cycle.evidence("audit1", role, "EX-SVC-01")
        assert "5900/tcp (vnc) on 0.0.0.0 by python3" in exposure, exposure
        assert "3306" not in exposure, "a listener bound to 127.0.0.1 is reported as exposed"
        assert "5432" not in exposure, "an allowed listener is reported as not allowed"
        admins = linux_cycle.evidence("audit1", role, "IV-ADM-01")
        assert admins.startswith("undeclared administrators: ghostadm"), admins
        assert "admin" in admins.split("(declared in carehard_admins: ")[1]
        assert "no accepted detection agent installed" in linux_cycle.evidence("audit1", role, "IV-AV-01")
        assert "security update(s) pending (apt)" in linux_cycle.evidence("audit1", role, "IV-UPD-01")
        upgraded = linux_cycle.evidence("audit1", role, "IV-UPD-02")
        assert re.match(r"last successful update on 20\S+ \([234] days ago\)$", upgraded), upgraded


def test_the_fleet_facts_are_recorded_with_the_run(linux_cycle: LinuxCycle) -> None:
    report = linux_cycle.steps["audit1"].report
    host = next(h for h in report["hosts"] if h["name"] == linux_cycle.name("deb12"))
    assert host["reachable"]
    fleet = next(f for f in report.get("fleet", []) if f["host"] == linux_cycle.name("deb12"))
    assert fleet["os"] and "Debian" in fleet["os"]


def test_an_undeclared_administrator_removed_passes(linux_cycle: LinuxCycle, tmp_path: Path) -> None:
    host = linux_cycle.hosts["deb13"]
    host.sudo("gpasswd -d ghostadm sudo")
    try:
        proc, report = audit_alone(host, tmp_path, "IV-ADM-01")
        (result,) = [r for h in report["hosts"] for r in h["results"] if r["control"] == "IV-ADM-01"]
        assert result["status"] == "pass", result["evidence"]
        assert "ghostadm" not in result["evidence"] and "admin" in result["evidence"]
        assert proc.returncode == 0
    finally:
        host.sudo("usermod -aG sudo ghostadm")


@pytest.fixture
def old_release(fleet: dict[str, harness.TestHost]) -> Iterator[harness.TestHost]:
    """The spare host pretending to be Debian 10 (buster), its end of support long past."""
    host = fleet["spare"]
    host.sudo(
        "cp -P /etc/os-release /root/os-release.carehard && rm -f /etc/os-release && "
        "sed -e 's/^VERSION_ID=.*/VERSION_ID=\"10\"/' -e 's/^VERSION_CODENAME=.*/VERSION_CODENAME=buster/' "
        "-e 's/^PRETTY_NAME=.*/PRETTY_NAME=\"Debian GNU\\/Linux 10 (buster)\"/' "
        "/usr/lib/os-release > /etc/os-release"
    )
    try:
        yield host
    finally:
        host.sudo("rm -f /etc/os-release && cp -P /root/os-release.carehard /etc/os-release")


def test_an_unsupported_release_fails_with_its_end_date(
    old_release: harness.TestHost, tmp_path: Path
) -> None:
    proc, report = audit_alone(old_release, tmp_path, "IV-OS-01,IV-OS-02")
    results = {r["control"]: r for h in report["hosts"] for r in h["results"]}
    assert results["IV-OS-01"]["status"] == "fail"
    assert results["IV-OS-01"]["evidence"].startswith(
        "Debian 10 buster (LTS): security support ended on 2024-06-30"
    ), results["IV-OS-01"]["evidence"]
    assert "table updated 20" in results["IV-OS-01"]["evidence"]
    assert results["IV-OS-02"]["status"] == "fail"
    assert proc.returncode == 1


def test_facts_gives_the_fleet_as_csv_and_changes_nothing(linux_cycle: LinuxCycle, tmp_path: Path) -> None:
    """`carehard facts` twice on the cycle's hosts: the CSV a spreadsheet reads back, /etc untouched."""
    hosts = {role: linux_cycle.hosts[role] for role in CYCLE_ROLES}
    before = parallel(hosts, lambda h: h.etc_digest())
    first = carehard(
        "facts",
        "-i",
        str(linux_cycle.inventory),
        "--limit",
        ",".join(h.name for h in hosts.values()),
        "--format",
        "csv",
    )
    second = carehard(
        "facts",
        "-i",
        str(linux_cycle.inventory),
        "--limit",
        ",".join(h.name for h in hosts.values()),
        "--format",
        "csv",
        "--output",
        str(tmp_path / "fleet.csv"),
    )
    assert parallel(hosts, lambda h: h.etc_digest()) == before, "carehard facts changed /etc"
    assert first.returncode == 1, first.stdout + first.stderr  # EX-SVC-01, IV-AV-01, IV-ADM-01 fail
    assert second.returncode == 1, second.stderr
    rows = list(csv.DictReader(io.StringIO(first.stdout)))
    assert sorted(r["host"] for r in rows) == sorted(h.name for h in hosts.values())
    saved = list(csv.DictReader(io.StringIO((tmp_path / "fleet.csv").read_text(encoding="utf-8-sig"))))
    assert [r["host"] for r in saved] == [r["host"] for r in rows]
    by_host = {r["host"]: r for r in rows}
    deb12 = by_host[linux_cycle.name("deb12")]
    assert "Debian" in deb12["os"] and "12" in deb12["os_version"]
    assert deb12["support_ends"] == "2028-06-30"
    exposed = deb12["exposed_services"].split("; ")
    assert "5900/tcp vnc on 0.0.0.0 (python3)" in exposed, exposed
    assert "5432/tcp postgresql on 0.0.0.0 (python3) [allowed]" in exposed, exposed
    assert not [e for e in exposed if e.startswith("3306/")], "a loopback listener is listed as exposed"
    assert deb12["undeclared_admins"] == "ghostadm"
