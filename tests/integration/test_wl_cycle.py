"""The Linux cycle as a whole: exit codes, read-only audit, idempotence, admin access, history."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.integration.linux_cycle import LEVEL_SAMPLE, LinuxCycle
from tests.testhosts import harness

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
CYCLE_ROLES = ("deb12", "deb13")


def test_exit_codes_follow_the_results(linux_cycle: LinuxCycle) -> None:
    steps = linux_cycle.steps
    assert steps["audit1"].returncode == 1, steps["audit1"].stderr
    for name in ("harden1", "audit2", "harden2"):
        summary = steps[name].report["summary"]
        expected = 1 if summary["fail"] else 0
        assert steps[name].returncode == expected, f"{name}: {summary}\n{steps[name].stdout[-3000:]}"
        assert summary["error"] == 0 and summary["unreachable"] == 0, steps[name].stdout[-3000:]


def test_audit_changes_nothing_on_the_hosts(linux_cycle: LinuxCycle) -> None:
    assert linux_cycle.etc["before_audit"] == linux_cycle.etc["after_audit"]


def test_second_harden_changes_nothing(linux_cycle: LinuxCycle) -> None:
    assert linux_cycle.steps["harden2"].report["summary"]["fixed"] == 0
    assert linux_cycle.etc["after_harden1"] == linux_cycle.etc["after_harden2"]


def test_admin_still_gets_in_and_root_no_longer_does(linux_cycle: LinuxCycle) -> None:
    for role in CYCLE_ROLES:
        host = linux_cycle.hosts[role]
        admin = host.ssh(harness.ADMIN, "sudo -n true", check=False)
        assert admin.returncode == 0, f"{role}: {admin.stderr}"
        root = host.ssh("root", "true", check=False)
        assert root.returncode == 255 and "Permission denied" in root.stderr, role


def test_report_carries_run_facts_and_catalog(linux_cycle: LinuxCycle) -> None:
    report = linux_cycle.steps["audit1"].report
    assert report["schema"] == "carehard-report/1"
    assert report["run"]["mode"] == "audit" and report["run"]["level"] == 3
    versions = {}
    for host in report["hosts"]:
        assert host["reachable"] and host["facts"]["os"] == "Debian"
        assert host["facts"]["virtualization"] in ("container", "systemd-nspawn")
        versions[host["name"]] = host["facts"]["os_version"]
    assert versions[linux_cycle.name("deb12")].startswith("12")
    assert versions[linux_cycle.name("deb13")].startswith("13")


def test_every_run_is_in_the_history_with_its_artifacts(linux_cycle: LinuxCycle) -> None:
    with sqlite3.connect(linux_cycle.state_dir / "history.db") as db:
        runs = {row[0]: row[1:] for row in db.execute("SELECT id, mode, exit_code, artifacts FROM runs")}
        for step in linux_cycle.steps.values():
            run_id = step.report["run"]["id"]
            mode, exit_code, artifacts = runs[run_id]
            assert mode == step.report["run"]["mode"] and exit_code == step.returncode
            assert (Path(artifacts) / "job_events").is_dir()
            for host in step.report["hosts"]:
                stored = dict(
                    db.execute(
                        "SELECT control, status FROM results WHERE run_id = ? AND host = ?",
                        (run_id, host["name"]),
                    ).fetchall()
                )
                assert stored == {r["control"]: r["status"] for r in host["results"]}


def test_every_report_validates_against_the_shipped_schema(linux_cycle: LinuxCycle) -> None:
    schema = json.loads((ROOT / "carehard/report/carehard-report-1.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for name, step in linux_cycle.steps.items():
        errors = [e.message for e in validator.iter_errors(step.report)]
        assert not errors, f"{name}: {errors[:3]}"


def test_html_report_names_the_hosts_and_controls(linux_cycle: LinuxCycle) -> None:
    audit = linux_cycle.steps["audit1"]
    html_path = Path(audit.stdout.split("report: ")[-1].strip())
    assert html_path.name == "report.html"
    html = html_path.read_text()
    for role in CYCLE_ROLES:
        assert linux_cycle.name(role) in html
    assert "WL-SSH-01" in html


def test_plain_ansible_playbook_still_works_on_the_roles(linux_cycle: LinuxCycle) -> None:
    """The roles need none of carehard's Python: AWX or ansible-playbook run them as they are
    (tags select controls as --only does; the whole baseline runs without carehard in test_awx_runner)."""
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            str(linux_cycle.inventory),
            "--check",
            "--tags",
            ",".join(LEVEL_SAMPLE),
            "--limit",
            linux_cycle.name("deb12"),
            str(ROOT / "playbooks" / "site.yml"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "failed=0" in proc.stdout and "unreachable=0" in proc.stdout
    assert all(f"{control} | " in proc.stdout for control in LEVEL_SAMPLE), proc.stdout[-3000:]
