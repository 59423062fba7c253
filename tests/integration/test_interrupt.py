"""Ctrl-C stops the playbook too, records nothing half-done, and exits 130."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.clirun import CAREHARD
from tests.testhosts import harness

pytestmark = pytest.mark.integration


def playbooks_running(marker: str) -> list[str]:
    out = subprocess.run(["pgrep", "-af", "ansible-playbook"], capture_output=True, text=True, check=False)
    return [line for line in out.stdout.splitlines() if marker in line]


def test_interrupt_stops_the_playbook(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path: Path
) -> None:
    inventory = harness.write_inventory(tmp_path / "interrupt-hosts.yml", [fleet["spare"]])
    proc = subprocess.Popen(
        [*CAREHARD, "audit", "-i", str(inventory), "--level", "3", "--output", str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    deadline = time.monotonic() + 60
    while not playbooks_running(str(inventory)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert playbooks_running(str(inventory)), "the playbook never started"
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    time.sleep(1)
    assert playbooks_running(str(inventory)) == []
    assert not (tmp_path / "out" / "report.json").exists()
    if (state_dir / "history.db").exists():
        with sqlite3.connect(state_dir / "history.db") as db:
            selections = [row[0] for row in db.execute("SELECT selection FROM runs")]
        assert not any(str(inventory) in s for s in selections)
