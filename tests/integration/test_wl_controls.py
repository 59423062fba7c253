"""Every workstation_linux control, on real hosts: fails on a fresh host, fixed by harden, then passes.

The expected statuses are `audit1: fail, harden1: fixed, audit2: pass, harden2: pass` unless a
file in expect/ says otherwise for that control (audit-only controls, premises absent...), per
Debian release where they differ (keys `bookworm`, `trixie`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import load_catalog
from tests.integration.linux_cycle import ACTIVE_WAIVER, WAIVED, LinuxCycle

pytestmark = pytest.mark.integration

EXPECT = Path(__file__).resolve().parent / "expect"
STEPS = ("audit1", "harden1", "audit2", "harden2")
DEFAULT = {"audit1": "fail", "harden1": "fixed", "audit2": "pass"}
CONTROLS = [c.id for c in load_catalog().all() if c.family == "workstation_linux"]


def expectations() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(EXPECT.glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


def expected(control: str, suite: str) -> dict[str, str]:
    spec = expectations().get(control) or {}
    statuses = {**DEFAULT, **{k: v for k, v in spec.items() if k in STEPS}, **spec.get(suite, {})}
    statuses.setdefault("harden2", statuses["audit2"])
    return statuses


@pytest.mark.parametrize("control", CONTROLS)
def test_control_through_the_cycle(linux_cycle: LinuxCycle, control: str) -> None:
    problems = []
    for role in ("deb12", "deb13"):
        if role == WAIVED and control == ACTIVE_WAIVER["id"]:
            continue
        suite = linux_cycle.hosts[role].suite
        for step, want in expected(control, suite).items():
            got = linux_cycle.result(step, role, control)
            if got["status"] != want:
                problems.append(f"{role}/{step}: {got['status']}, expected {want}: {got['evidence'][:400]}")
            elif not got["evidence"].strip():
                problems.append(f"{role}/{step}: no evidence")
    assert not problems, "\n".join(problems)
