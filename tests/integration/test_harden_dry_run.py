"""`harden --dry-run` and harden's confirmation on one fresh Debian 12 host: the dry run shows each
SSH control that would change with its sshd line and changes nothing; harden at a terminal asks with
the counts (without holding the run lock), changes nothing on "n", applies on "y"; then nothing
would change.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.clirun import CAREHARD, carehard, load_report
from tests.integration.own_hosts import harden_inventory, lock_held, own_hosts
from tests.testhosts import harness

pytestmark = pytest.mark.integration

# Settings a fresh Debian 12 sshd does not have (X11Forwarding yes, MaxAuthTries 6,
# LoginGraceTime 120), each written by its control into carehard's sshd drop-in.
WRITES = {"WL-SSH-04": "X11Forwarding no", "WL-SSH-05": "MaxAuthTries 4", "WL-SSH-07": "LoginGraceTime 60"}
ONLY = ",".join(WRITES)
EFFECTIVE = ("x11forwarding no", "maxauthtries 4", "logingracetime 60")
PROMPT = re.compile(r"Harden 1 host of (\S+) with --only 3 controls: (\d+) changes on 3 controls\? \[y/N\]")


@dataclass
class Site:
    host: harness.TestHost
    inventory: Path
    work: Path
    lock: Path


@dataclass
class Answered:
    returncode: int
    stdout: str
    stderr: str
    lock_held_at_prompt: bool | None  # None: no question was asked


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, state_dir: Path) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("dry-run")
    with own_hosts(work, "dry", 1) as hosts:
        inventory = harden_inventory(work / "hosts.yml", hosts)
        yield Site(hosts[0], inventory, work, state_dir / "locks" / "audit-harden.lock")


def harden_at_a_terminal(site: Site, output: Path, answer: str, timeout: float = 600) -> Answered:
    """`carehard harden` with a real terminal on stdin: waits for its question, notes whether the run
    lock is held then, and answers."""
    controller, terminal = pty.openpty()
    command = [*CAREHARD, "harden", "-i", str(site.inventory), "--only", ONLY, "--output", str(output)]
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen(command, stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    try:
        seen, held = read_until_question(proc, timeout, lambda: lock_held(site.lock))
        if held is not None:
            os.write(controller, answer.encode() + b"\n")
        rest, errors = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
        os.close(terminal)
        os.close(controller)
    return Answered(proc.returncode, (seen + rest).decode(), errors.decode(), held)


def read_until_question(
    proc: subprocess.Popen[bytes], timeout: float, probe: Callable[[], bool]
) -> tuple[bytes, bool | None]:
    """What harden printed up to its question ("[y/N]"), and probe() once it is asked; None when
    it ended without asking."""
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while b"[y/N]" not in seen:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no question after {timeout}s: {seen.decode()}"
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            return seen, None
        seen += chunk
    return seen, probe()


def dry_run(site: Site, output: Path) -> subprocess.CompletedProcess[str]:
    return carehard("harden", "--dry-run", "-i", site.inventory, "--only", ONLY, "--output", output)


def test_dry_run_shows_each_change_with_its_diff_line_and_changes_nothing(site: Site) -> None:
    before = site.host.etc_digest()
    output = site.work / "dry1"
    proc = dry_run(site, output)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert site.host.etc_digest() == before, "harden --dry-run changed /etc"
    written = (output / "dry-run.txt").read_text(encoding="utf-8")
    for shown in (proc.stdout, written):
        assert f"{site.host.name}: would make 3 changes on 3 controls" in shown, shown
        for control, line in WRITES.items():
            assert re.search(rf"^  {control}\n(    .*\n)*?\s+\+{line}$", shown, re.MULTILINE), (
                control,
                shown,
            )
        assert "Dry run: 3 changes on 3 controls, 1 host reached; nothing was changed." in shown
    assert load_report(output)["run"]["mode"] == "audit"
    runs = json.loads(carehard("runs", "list", "--format", "json").stdout)
    assert runs[0]["mode"] == "audit", runs[0]


def test_harden_asks_with_the_counts_without_holding_the_lock_and_no_changes_nothing(site: Site) -> None:
    before = site.host.etc_digest()
    declined = harden_at_a_terminal(site, site.work / "declined", "n")
    assert declined.lock_held_at_prompt is False, "the run lock was held while harden waited for its answer"
    question = PROMPT.search(declined.stdout)
    assert question, declined.stdout
    assert question.groups() == (str(site.inventory), "3")
    assert "+X11Forwarding no" in declined.stdout.split(question.group(0))[0]
    assert declined.returncode == 2 and declined.stderr.strip() == "carehard: aborted", declined.stderr
    assert site.host.etc_digest() == before, "harden answered 'n' changed /etc"


def test_harden_answered_yes_applies_then_nothing_would_change(site: Site) -> None:
    confirmed = harden_at_a_terminal(site, site.work / "confirmed", "y")
    assert confirmed.lock_held_at_prompt is False
    assert PROMPT.search(confirmed.stdout), confirmed.stdout
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    effective = site.host.sudo("sshd -T").stdout.splitlines()
    assert all(setting in effective for setting in EFFECTIVE), effective

    again = dry_run(site, site.work / "dry2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{site.host.name}: nothing would change" in again.stdout
    assert "Dry run: 0 changes on 0 controls, 1 host reached" in again.stdout
