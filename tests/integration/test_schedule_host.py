"""`carehard schedule` for real on a systemd host: the timer installed and enabled, its service run
once by systemd (one audit in the history, its report, its syslog alert in the journal), a second
start refused by the run lock, then the schedule removed.

The sched test host sees this checkout and its venv read-only at the same paths (conftest.BIND_RO),
so the carehard scheduled there is the one under test. Wherever the checkout is: under /tmp, which
the service's PrivateTmp would hide, install warns and the service still sees it.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time

import pytest

from carehard.schedule import carehard_executable
from tests.integration.conftest import BIND_RO
from tests.testhosts.harness import TestHost

pytestmark = pytest.mark.integration

CAREHARD = shlex.join(carehard_executable())
PYTHON = shlex.quote(os.path.abspath(sys.executable))  # the venv's python, bind-mounted at the same path
UNITS = "/etc/systemd/system/carehard-audit.service /etc/systemd/system/carehard-audit.timer"
REPORT = "/root/scheduled-report"
NOTIFY_CONFIG = "carehard_notify: {when: always, syslog: {}}\n"
HOLD_LOCK = """
import time
from carehard.engine.lock import run_lock
with run_lock("audit-harden", "audit"):
    time.sleep(300)
"""


def root(host: TestHost, command: str, check: bool = True) -> str:
    return host.sudo(command, check=check).stdout


def service_status(host: TestHost) -> dict[str, str]:
    out = root(host, "systemctl show carehard-audit.service -p Result -p ExecMainStatus -p NRestarts")
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def history_runs(host: TestHost) -> list[dict[str, object]]:
    return list(json.loads(root(host, f"{CAREHARD} runs list --format json")))


def journal(host: TestHost, selector: str) -> str:
    return root(host, f"journalctl --sync 2>/dev/null; journalctl {selector} -o cat --no-pager")


def test_timer_runs_carehard_once_and_the_lock_refuses_a_second(fleet: dict[str, TestHost]) -> None:
    host = fleet["sched"]
    assert root(host, "test -d /run/systemd/system && echo systemd").strip() == "systemd"
    root(host, f"mkdir -p /etc/carehard && printf %s {shlex.quote(NOTIFY_CONFIG)} > /etc/carehard/config.yml")

    install = host.sudo(
        f"{CAREHARD} schedule install audit --at 04:00 --output {REPORT} -- --level 1 --only WL-SSH-01",
        check=False,
    )
    assert install.returncode == 0, install.stderr
    assert "ran: systemctl enable --now carehard-audit.timer" in install.stdout
    in_tmp = any(path.startswith(("/tmp/", "/var/tmp/")) for path in BIND_RO["sched"])
    assert ("carehard: warning: the scheduled audit needs /" in install.stderr) == in_tmp, install.stderr
    verify = host.sudo(f"systemd-analyze verify {UNITS}", check=False)
    assert verify.returncode == 0 and verify.stderr == "", verify.stderr
    assert root(host, "systemctl is-enabled carehard-audit.timer").strip() == "enabled"
    assert "carehard-audit.timer" in root(host, "systemctl list-timers --all --no-pager")
    [listed] = json.loads(root(host, f"{CAREHARD} schedule list --format json"))
    assert (listed["job"], listed["method"], listed["when"]) == ("audit", "systemd", "weekly on sun at 04:00")
    assert listed["next_run"].startswith("Sun ") and listed["next_run"].endswith(" UTC")
    assert listed["last_result"] == "never run"

    # The timer's service, started as the timer would: one real audit.
    host.sudo("systemctl start carehard-audit.service", check=False)  # exit 1: WL-SSH-01 fails here
    assert service_status(host)["ExecMainStatus"] == "1"
    [run] = history_runs(host)
    assert run["mode"] == "audit" and run["exit_code"] == 1
    report = json.loads(root(host, f"cat {REPORT}/report.json"))
    assert report["run"]["id"] == run["id"]
    assert [r["control"] for r in report["hosts"][0]["results"]] == ["WL-SSH-01"]
    assert journal(host, "-u carehard-audit.service").count("Starting carehard-audit.service") == 1
    assert str(run["id"]) in journal(host, "-t carehard")  # the notification's syslog line, read back
    [listed] = json.loads(root(host, f"{CAREHARD} schedule list --format json"))
    assert listed["last_result"] == "exit-code (exit code 1)"

    # Started again while another carehard run holds the lock: refused, nothing recorded.
    root(host, f"systemd-run --unit=carehard-lock-holder --collect {PYTHON} -c {shlex.quote(HOLD_LOCK)}")
    try:
        lock = "/root/.local/state/carehard/locks/audit-harden.lock"
        for _ in range(100):
            if '"command": "carehard audit"' in root(host, f"cat {lock}", check=False):
                break
            time.sleep(0.1)
        holder = json.loads(root(host, f"cat {lock}"))["pid"]
        host.sudo("systemctl start carehard-audit.service", check=False)
        assert service_status(host)["ExecMainStatus"] == "2"
        refused = f"carehard: error: another carehard audit is running (pid {holder} since "
        lines = journal(host, "-u carehard-audit.service").splitlines()
        assert any(line.startswith(refused) and line.endswith(f"lock {lock}): not started") for line in lines)
        assert len(history_runs(host)) == 1
    finally:
        host.sudo("systemctl stop carehard-lock-holder", check=False)

    removed = host.sudo(f"{CAREHARD} schedule remove audit", check=False)
    assert removed.returncode == 0, removed.stderr
    assert "carehard" not in root(host, "systemctl list-timers --all --no-pager")
    assert root(host, f"ls {UNITS} 2>&1", check=False).count("No such file") == 2
    assert host.sudo("systemctl is-enabled carehard-audit.timer", check=False).returncode != 0
    again = host.sudo(f"{CAREHARD} schedule remove audit", check=False)
    assert again.returncode == 2 and "audit is not scheduled here" in again.stderr
