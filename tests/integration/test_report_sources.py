"""`carehard report` from the history and from the artifacts of a run carehard did not make.

The second run is plain `ansible-runner` with carehard's playbooks, as AWX or ansible-navigator
would run them: its report must say what carehard's own audit says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import JUnitXml

from tests.clirun import carehard, load_report, statuses
from tests.testhosts import harness

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CONTROLS = "WL-SSH-03,WL-SSH-04,WL-SYS-01,WL-ACC-04"


def plain_ansible_runner(private: Path, inventory: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-runner")),
            "run",
            str(private),
            "--project-dir",
            str(ROOT / "playbooks"),
            "-p",
            "site.yml",
            "--inventory",
            str(inventory),
            "--ident",
            "awx-job-42",
            "--cmdline",
            f"--check --diff --tags {CONTROLS}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_a_plain_ansible_runner_run_reports_like_carehard(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path: Path
) -> None:
    spare = fleet["spare"]
    inventory = harness.write_inventory(tmp_path / "hosts.yml", [spare])
    ours = carehard("audit", "-i", inventory, "--only", CONTROLS, "--output", tmp_path / "ours")
    assert ours.returncode in (0, 1), ours.stdout + ours.stderr
    expected = statuses(load_report(tmp_path / "ours"), spare.name)
    assert set(expected) == set(CONTROLS.split(","))

    private = tmp_path / "runner"
    proc = plain_ansible_runner(private, inventory)
    assert (private / "artifacts" / "awx-job-42" / "job_events").is_dir(), proc.stdout[-3000:] + proc.stderr
    theirs = carehard(
        "report",
        "--artifacts",
        private,
        "--output",
        tmp_path / "theirs",
        "--format",
        "json,html,junit,csv,md",
    )
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    report = load_report(tmp_path / "theirs")
    assert statuses(report, spare.name) == expected
    assert report["run"]["mode"] == "audit" and report["run"]["id"] == "awx-job-42"
    assert (tmp_path / "theirs" / "report.html").stat().st_size > 1000
    suites = JUnitXml.fromfile(str(tmp_path / "theirs" / "report.junit.xml"))
    cases = {case.name.split()[0]: case for suite in suites for case in suite}
    assert set(cases) == set(expected)
    failing = {cid for cid, status in expected.items() if status == "fail"}
    assert {cid for cid, case in cases.items() if not case.is_passed and not case.is_skipped} == failing

    # Reports from the history: the newest run, a run by its ID, and the diff of two runs.
    listed = json.loads(carehard("runs", "list", "--format", "json").stdout)
    run_id = load_report(tmp_path / "ours")["run"]["id"]
    assert run_id in [r["id"] for r in listed]
    again = carehard("report", "--run", run_id, "--output", tmp_path / "again", "--format", "json")
    assert again.returncode == 0, again.stderr
    assert statuses(load_report(tmp_path / "again"), spare.name) == expected
    same = carehard("report", "diff", run_id, run_id, "--format", "json")
    assert same.returncode == 0 and json.loads(same.stdout)["regressed"] == []
    missing = carehard("report", "--run", "no-such-run")
    assert missing.returncode == 2 and "no run no-such-run in the history" in missing.stderr
    nothing = carehard("report", "--artifacts", tmp_path / "ours")
    assert nothing.returncode == 2 and "no ansible-runner job_events" in nothing.stderr
