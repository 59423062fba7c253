"""Level selection and waivers, on the Linux cycle."""

from __future__ import annotations

import pytest

from carehard.catalog import load_catalog
from carehard.engine.selection import AUDIT_FAMILIES
from tests.integration.linux_cycle import ACTIVE_WAIVER, EXPIRED_WAIVER, LEVEL_SAMPLE, WAIVED, LinuxCycle

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("level", [1, 2, 3])
def test_level_selects_the_controls_of_that_level_and_below(linux_cycle: LinuxCycle, level: int) -> None:
    """Levels 1 and 2 are read on runs that skip all their controls but LEVEL_SAMPLE's (one or two of
    each level); level 3 on the whole audit."""
    step = {1: "level1", 2: "level2", 3: "audit1"}[level]
    sample = set(LEVEL_SAMPLE) if level < 3 else {c.id for c in load_catalog().all()}
    assert {load_catalog()[cid].level for cid in LEVEL_SAMPLE} == {1, 2, 3}
    selected = [
        c for c in load_catalog().all() if c.family in AUDIT_FAMILIES and c.level <= level and c.id in sample
    ]
    report = linux_cycle.steps[step].report
    assert {c["id"] for c in report["controls"]} == {c.id for c in selected}
    host = next(h for h in report["hosts"] if h["name"] == linux_cycle.name("deb12"))
    assert {r["control"] for r in host["results"]} == {c.id for c in selected if "debian" in c.platforms}


def test_active_waiver_reports_waived_and_is_not_remediated(linux_cycle: LinuxCycle) -> None:
    control = ACTIVE_WAIVER["id"]
    for step in ("audit1", "harden1", "audit2", "harden2"):
        assert linux_cycle.status(step, WAIVED, control) == "waived", step
        assert ACTIVE_WAIVER["reason"] in linux_cycle.evidence(step, WAIVED, control)
        assert linux_cycle.status(step, "deb12", control) in ("fail", "fixed", "pass")
    sshd = linux_cycle.hosts[WAIVED].sudo("sshd -T").stdout.splitlines()
    assert "x11forwarding yes" in sshd, "a waived control was remediated"
    host = next(
        h for h in linux_cycle.steps["audit1"].report["hosts"] if h["name"] == linux_cycle.name(WAIVED)
    )
    assert {
        "control": control,
        "reason": ACTIVE_WAIVER["reason"],
        "expiry": ACTIVE_WAIVER["expiry"],
        "active": True,
    } in host["waivers"]


def test_expired_waiver_fails_says_so_and_does_not_hold_remediation(linux_cycle: LinuxCycle) -> None:
    control = EXPIRED_WAIVER["id"]
    assert linux_cycle.status("audit1", WAIVED, control) == "fail"
    assert linux_cycle.evidence("audit1", WAIVED, control).startswith(
        f"waiver expired on {EXPIRED_WAIVER['expiry']}"
    )
    assert linux_cycle.status("harden1", WAIVED, control) == "fixed"
    assert linux_cycle.status("audit2", WAIVED, control) == "pass"
