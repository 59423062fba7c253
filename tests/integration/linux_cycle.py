"""The Linux audit/harden cycle every workstation_linux test reads, run once per session.

The cycle starts in the background as soon as the session's fleet is up (BackgroundCycle), with a
state directory of its own (carehard's run lock would refuse the other tests' runs meanwhile), and
the tests that read it run last (conftest.py).

Before the first audit, every script in dirty/ runs as root on the cycle hosts: it makes the
controls a fresh Debian already meets fail (a telnet server, a second UID 0...), so that each
control is seen failing, then fixed, then passing. Each file in inventory_vars/ adds group
variables to the cycle's inventory (admin networks, offline apt...).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from carehard.catalog import load_catalog
from tests.clirun import carehard, load_report
from tests.testhosts import harness

HERE = Path(__file__).resolve().parent
DIRTY = HERE / "dirty"
INVENTORY_VARS = HERE / "inventory_vars"
ACTIVE_WAIVER = {"id": "WL-SSH-04", "reason": "vendor viewer needs X11 (ticket 4521)", "expiry": "2099-12-31"}
EXPIRED_WAIVER = {"id": "WL-SSH-05", "reason": "old scanner client", "expiry": "2020-01-31"}
# The cycle host whose inventory holds both waivers (the other shows the same controls unwaived).
WAIVED = "deb13"
# Controls of each level the level runs keep (all others of their level skipped): the level test
# reads which of them `--level 1` and `--level 2` select, without auditing the whole baseline twice.
LEVEL_SAMPLE = ("WL-SSH-01", "WL-ACC-04", "WL-SYS-20", "WL-MOD-07", "WL-LOG-04", "WL-BOOT-06")


@dataclass
class Step:
    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any]


@dataclass
class LinuxCycle:
    hosts: dict[str, harness.TestHost]
    inventory: Path
    state_dir: Path  # the cycle's runs and history
    steps: dict[str, Step] = field(default_factory=dict)
    etc: dict[str, dict[str, str]] = field(default_factory=dict)  # moment -> role -> /etc digest

    def name(self, role: str) -> str:
        return self.hosts[role].name

    def status(self, step: str, role: str, control: str) -> str:
        return self.result(step, role, control)["status"]

    def evidence(self, step: str, role: str, control: str) -> str:
        return str(self.result(step, role, control)["evidence"])

    def result(self, step: str, role: str, control: str) -> dict[str, Any]:
        report = self.steps[step].report
        host = next(h for h in report["hosts"] if h["name"] == self.name(role))
        for r in host["results"]:
            if r["control"] == control:
                return dict(r)
        raise AssertionError(f"{control} not in the {step} report of {role}")


def level_skip(level: int) -> list[str]:
    """--skip for the level runs: every control of that level and below but LEVEL_SAMPLE's, so that
    a run at that level shows which of the sample the level selects, in a few tasks."""
    return [c.id for c in load_catalog().all() if c.level <= level and c.id not in LEVEL_SAMPLE]


def inventory_vars() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted(INVENTORY_VARS.glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


def dirty(host: harness.TestHost) -> None:
    for script in sorted(DIRTY.glob("*.sh")):
        proc = host.sudo(script.read_text(encoding="utf-8"), check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{script.name} on {host.name}: {proc.stdout[-1000:]}{proc.stderr[-1000:]}")


def parallel(hosts: dict[str, harness.TestHost], action: Callable[[harness.TestHost], Any]) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        futures = {role: pool.submit(action, host) for role, host in hosts.items()}
        return {role: f.result() for role, f in futures.items()}


def run_linux_cycle(hosts: dict[str, harness.TestHost], work: Path) -> LinuxCycle:
    waived = hosts[WAIVED].name
    inventory = harness.write_inventory(
        work / "hosts.yml",
        hosts.values(),
        host_vars={
            waived: {
                "carehard_waivers": [
                    {**ACTIVE_WAIVER, "hosts": [waived]},
                    {**EXPIRED_WAIVER, "hosts": [waived]},
                ]
            }
        },
        **inventory_vars(),
    )
    cycle = LinuxCycle(hosts, inventory, work / "state")
    environment = {**os.environ, "CAREHARD_STATE_DIR": str(cycle.state_dir)}

    def step(name: str, *args: str) -> None:
        out = work / name
        proc = carehard(*args, "-i", str(inventory), "--output", str(out), base_env=environment)
        if not (out / "report.json").exists():
            raise AssertionError(f"{name}: no report (exit {proc.returncode})\n{proc.stdout}\n{proc.stderr}")
        cycle.steps[name] = Step(proc.returncode, proc.stdout, proc.stderr, load_report(out))

    def digest(moment: str) -> None:
        cycle.etc[moment] = parallel(hosts, lambda h: h.etc_digest())

    parallel(hosts, dirty)
    deb12 = hosts["deb12"].name
    step("level1", "audit", "--level", "1", "--limit", deb12, "--skip", ",".join(level_skip(1)))
    step("level2", "audit", "--level", "2", "--limit", deb12, "--skip", ",".join(level_skip(2)))
    digest("before_audit")
    step("audit1", "audit", "--level", "3")
    digest("after_audit")
    step("harden1", "harden", "--yes", "--level", "3")
    digest("after_harden1")
    step("audit2", "audit", "--level", "3")
    step("harden2", "harden", "--yes", "--level", "3")
    digest("after_harden2")
    return cycle


class BackgroundCycle:
    """run_linux_cycle in a thread of its own; result() waits for it (and raises what it raised)."""

    def __init__(self, hosts: dict[str, harness.TestHost], work: Path) -> None:
        self._cycle: LinuxCycle | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(hosts, work), name="linux-cycle", daemon=True)
        self._thread.start()

    def _run(self, hosts: dict[str, harness.TestHost], work: Path) -> None:
        try:
            self._cycle = run_linux_cycle(hosts, work)
        except BaseException as error:  # handed to the tests that read the cycle
            self._error = error

    def result(self) -> LinuxCycle:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._cycle is not None
        return self._cycle


def audit_alone(
    host: harness.TestHost, work: Path, only: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`carehard audit --only IDS` of one host with the cycle's inventory variables, and its report."""
    inventory = harness.write_inventory(work / "hosts.yml", [host], **inventory_vars())
    out = work / "audit"
    proc = carehard("audit", "-i", str(inventory), "--only", only, "--level", "3", "--output", str(out))
    assert (out / "report.json").exists(), proc.stdout + proc.stderr
    return proc, load_report(out)


def host_command(host: harness.TestHost, command: str) -> subprocess.CompletedProcess[str]:
    """Read the real state of a host (as root through the admin account)."""
    return host.sudo(command, check=False)


def read_on(cycle: LinuxCycle, role: str, command: str) -> str:
    """The output of a command read on a cycle host as root, which must succeed."""
    proc = host_command(cycle.hosts[role], command)
    assert proc.returncode == 0, f"{role}: {command}: {proc.stdout}{proc.stderr}"
    return proc.stdout
