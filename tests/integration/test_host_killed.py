"""A host killed (power cut) in the middle of `harden`: the run finishes, the other host's controls
all have real results, the killed one is reported unreachable (exit 3), the run is in the history,
and when the host boots again its sshd configuration is valid and SSH logins work.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carehard.catalog import load_catalog
from tests.clirun import CAREHARD, carehard, load_report, statuses
from tests.integration.own_hosts import harden_inventory, own_hosts
from tests.testhosts import harness

pytestmark = pytest.mark.integration

REAL_RESULTS = {"pass", "fixed", "fail", "not_applicable", "waived"}
# The areas the kills land in and the ones after them: the rest of the baseline would only make
# the survivor's run longer.
AREAS = ("WL-SSH-", "WL-ACC-0", "WL-FW-", "WL-NET-", "WL-SYS-")
ONLY = ",".join(c.id for c in load_catalog().all() if c.id.startswith(AREAS))


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[harness.TestHost]]:
    with own_hosts(tmp_path_factory.mktemp("killed"), "kill", 2) as booted:
        yield booted


class RunnerEvents:
    """The runner events of the runs started after it was made, each read once, as they come."""

    def __init__(self, runs: Path) -> None:
        self.runs = runs
        self.seen = {p.name for p in runs.iterdir()} if runs.exists() else set()  # earlier runs

    def new(self) -> Iterator[dict[str, Any]]:
        for path in self.runs.glob("*/artifacts/*/job_events/*.json"):
            if path.parts[-5] in self.seen or str(path) in self.seen:
                continue
            try:
                event = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):  # being written, or renamed from its -partial name
                continue
            self.seen.add(str(path))
            yield event

    def wait_for(self, kind: str, host: str, prefix: str, proc: subprocess.Popen[str], timeout: float) -> str:
        """The task of the first `kind` event of `host` whose task name starts with `prefix`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            for event in self.new():
                data = event.get("event_data") or {}
                task = str(data.get("task", ""))
                if event.get("event") == kind and data.get("host") == host and task.startswith(prefix):
                    return task
            time.sleep(0.2)
        raise AssertionError(f"no {kind} of {host} at a task {prefix!r} (carehard exit {proc.poll()})")


@pytest.mark.parametrize(
    ("kill_at", "delay"),
    [
        # Between its sshd configuration writes (each validated, the reload not run yet).
        ("WL-SSH-04 | ", 0.0),
        # Inside whatever task runs 3 s after WL-FW-01 began: the SSH connection goes silent, no
        # error ever comes back by itself.
        ("WL-FW-01 | ", 3.0),
    ],
    ids=["between-sshd-writes", "inside-a-task"],
)
def test_a_host_killed_in_the_middle_of_harden(
    hosts: list[harness.TestHost], state_dir: Path, tmp_path: Path, kill_at: str, delay: float
) -> None:
    """Run twice on the same hosts: the second harden finds the first one's changes (pass, not fixed)."""
    survivor, victim = hosts
    inventory = harden_inventory(tmp_path / "hosts.yml", hosts)
    events = RunnerEvents(state_dir / "runs")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*CAREHARD, "harden", "--yes", "-i", inventory, "--only", ONLY, "--output", out],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        task = events.wait_for("runner_on_start", victim.name, kill_at, proc, 1200)
        time.sleep(delay)
        victim.crash()
        killed_at = time.monotonic()
        # Given up within a minute or two (SSH keepalives), not hours on a silent TCP connection.
        lost_at = events.wait_for("runner_on_unreachable", victim.name, "", proc, 240)
        given_up = time.monotonic() - killed_at
        stdout, stderr = proc.communicate(timeout=1800)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 3, f"killed at {task!r}\n{stdout[-3000:]}\n{stderr[-3000:]}"
    assert "Traceback" not in stderr
    assert given_up < 240

    report = load_report(out)
    survived, killed = statuses(report, survivor.name), statuses(report, victim.name)
    assert set(survived) <= set(killed), "the killed host lost controls from the report"
    assert {c: s for c, s in survived.items() if s not in REAL_RESULTS} == {}
    assert survived["WL-SSH-04"] in ("fixed", "pass")
    entry = next(h for h in report["hosts"] if h["name"] == victim.name)
    assert entry["reachable"] is False
    assert {killed[control] for control in survived} <= REAL_RESULTS | {"unreachable"}
    # The control whose task was cut off (the kill may land a few tasks after `kill_at`'s start).
    assert killed.get(lost_at.split(" |")[0], "unreachable") == "unreachable", lost_at
    assert "unreachable" in killed.values()
    assert killed["WL-SSH-01"] in ("fixed", "pass"), "the controls done before the kill keep their results"
    listed = carehard("runs", "list")
    assert report["run"]["id"] in listed.stdout, listed.stdout + listed.stderr

    victim.start()
    check = victim.sudo("/usr/sbin/sshd -t && echo sshd-config-ok", check=False)
    assert check.returncode == 0 and "sshd-config-ok" in check.stdout, check.stdout + check.stderr
    assert victim.ssh(harness.ADMIN, "id -un").stdout.strip() == harness.ADMIN
