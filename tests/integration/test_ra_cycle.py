"""The remote_access controls on the Linux cycle's hosts, which declare no vendor."""

from __future__ import annotations

import pytest

from tests.integration.linux_cycle import LinuxCycle

pytestmark = pytest.mark.integration

CYCLE_ROLES = ("deb12", "deb13")
# A fresh Debian has no vendor rules in sshd and no audit rule for the vendor group.
FIXED_BY_HARDEN = ("RA-SSH-01", "RA-LOG-01", "RA-LOG-03")
ALREADY_MET = ("RA-VND-01", "RA-VND-02", "RA-VND-03", "RA-VND-04", "RA-VND-05", "RA-KEY-01", "RA-KEY-02",
               "RA-SSH-02", "RA-SSH-03", "RA-LOG-02")  # fmt: skip


@pytest.mark.parametrize("role", CYCLE_ROLES)
def test_vendor_rules_fail_on_a_fresh_host_and_hold_after_harden(linux_cycle: LinuxCycle, role: str) -> None:
    for control in FIXED_BY_HARDEN:
        steps = [
            linux_cycle.status(step, role, control) for step in ("audit1", "harden1", "audit2", "harden2")
        ]
        assert steps == ["fail", "fixed", "pass", "pass"], (
            control,
            linux_cycle.evidence("audit1", role, control),
        )
    evidence = linux_cycle.evidence("audit1", role, "RA-SSH-01")
    assert "90-carehard-vendors.conf are missing or differ from the inventory" in evidence
    sshd = linux_cycle.hosts[role].sudo("cat /etc/ssh/sshd_config.d/90-carehard-vendors.conf").stdout
    assert "Match Group carehard-vendors" in sshd and "PubkeyAuthentication no" in sshd
    rules = linux_cycle.hosts[role].sudo("cat /etc/audit/rules.d/60-carehard-vendors.rules").stdout
    assert "-S execve -F gid=carehard-vendors -k carehard_vendors" in rules


@pytest.mark.parametrize("role", CYCLE_ROLES)
def test_without_vendors_the_account_and_key_controls_pass(linux_cycle: LinuxCycle, role: str) -> None:
    for control in ALREADY_MET:
        for step in ("audit1", "audit2"):
            assert linux_cycle.status(step, role, control) == "pass", (
                step,
                control,
                linux_cycle.evidence(step, role, control),
            )
    assert "no vendor declared for this host" in linux_cycle.evidence("audit1", role, "RA-VND-02")


def test_a_key_in_an_undeclared_account_is_listed_for_review(linux_cycle: LinuxCycle) -> None:
    """dirty/accounts.sh leaves legacy0, a second UID 0 whose home is /root: root's key logs it in."""
    for step in ("audit1", "harden1", "audit2"):
        assert linux_cycle.status(step, "deb12", "RA-KEY-03") == "fail", step  # audit-only: never changed
    evidence = linux_cycle.evidence("audit1", "deb12", "RA-KEY-03")
    assert "legacy0 SHA256:" in evidence and "/root/.ssh/authorized_keys" in evidence
