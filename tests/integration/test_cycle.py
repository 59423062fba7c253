"""End to end on a fresh test host: audit -> harden -> audit -> harden, over real SSH."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.clirun import carehard, evidence, load_report, statuses
from tests.testhosts import harness

pytestmark = pytest.mark.integration

HOST = "cht-cycle"
FAILING_ON_FRESH_DEBIAN = [
    "WL-SSH-01",
    "WL-SSH-02",
    "WL-SSH-04",
    "WL-SSH-05",
    "WL-SSH-06",
    "WL-SYS-01",
    "WL-MOD-01",
]
PASSING_ON_FRESH_DEBIAN = ["WL-SSH-03"]


@dataclass
class Step:
    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any]


@dataclass
class Cycle:
    host: harness.TestHost
    steps: dict[str, Step] = field(default_factory=dict)
    etc_before_audit: str = ""
    etc_after_audit: str = ""
    etc_after_second_harden: str = ""
    etc_after_first_harden: str = ""


@pytest.fixture(scope="module")
def cycle(
    fleet: dict[str, harness.TestHost], state_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Cycle:
    host = fleet[HOST]
    work = tmp_path_factory.mktemp("cycle")
    inventory = harness.write_inventory(work / "hosts.yml", [host])
    result = Cycle(host)

    def step(name: str, *args: str) -> None:
        out = work / name
        proc = carehard(*args, "-i", str(inventory), "--level", "3", "--output", str(out))
        assert (out / "report.json").exists(), f"{name}: no report\n{proc.stdout}\n{proc.stderr}"
        result.steps[name] = Step(proc.returncode, proc.stdout, proc.stderr, load_report(out))

    result.etc_before_audit = host.etc_digest()
    step("audit1", "audit")
    result.etc_after_audit = host.etc_digest()
    step("harden1", "harden", "--yes")
    result.etc_after_first_harden = host.etc_digest()
    step("audit2", "audit")
    step("harden2", "harden", "--yes")
    result.etc_after_second_harden = host.etc_digest()
    return result


def test_audit_of_a_fresh_host_fails_with_evidence(cycle: Cycle) -> None:
    audit = cycle.steps["audit1"]
    assert audit.returncode == 1, audit.stderr
    found = statuses(audit.report, HOST)
    for control in FAILING_ON_FRESH_DEBIAN:
        assert found[control] == "fail", f"{control}: {evidence(audit.report, HOST, control)}"
        assert evidence(audit.report, HOST, control).strip()
    for control in PASSING_ON_FRESH_DEBIAN:
        assert found[control] == "pass"
    assert "without-password" in evidence(audit.report, HOST, "WL-SSH-01")
    assert audit.report["summary"]["fail"] == len(FAILING_ON_FRESH_DEBIAN)


def test_audit_changes_nothing_on_the_host(cycle: Cycle) -> None:
    assert cycle.etc_before_audit == cycle.etc_after_audit


def test_harden_fixes_every_failing_control(cycle: Cycle) -> None:
    harden = cycle.steps["harden1"]
    assert harden.returncode == 0, harden.stdout + harden.stderr
    found = statuses(harden.report, HOST)
    for control in FAILING_ON_FRESH_DEBIAN:
        assert found[control] == "fixed", f"{control}: {evidence(harden.report, HOST, control)}"
    for control in PASSING_ON_FRESH_DEBIAN:
        assert found[control] == "pass"
    assert harden.report["run"]["mode"] == "harden"


def test_second_audit_passes_everything(cycle: Cycle) -> None:
    audit = cycle.steps["audit2"]
    assert audit.returncode == 0, audit.stdout
    assert set(statuses(audit.report, HOST).values()) == {"pass"}


def test_second_harden_changes_nothing(cycle: Cycle) -> None:
    harden = cycle.steps["harden2"]
    assert harden.returncode == 0
    assert harden.report["summary"]["fixed"] == 0
    assert set(statuses(harden.report, HOST).values()) == {"pass"}
    assert cycle.etc_after_first_harden == cycle.etc_after_second_harden


def test_admin_still_gets_in_and_root_no_longer_does(cycle: Cycle) -> None:
    admin = cycle.host.ssh(harness.ADMIN, "sudo -n true", check=False)
    assert admin.returncode == 0, admin.stderr
    root = cycle.host.ssh("root", "true", check=False)
    assert root.returncode == 255 and "Permission denied" in root.stderr


def test_the_host_really_is_hardened(cycle: Cycle) -> None:
    sshd = cycle.host.sudo("sshd -T").stdout
    for line in ("permitrootlogin no", "passwordauthentication no", "x11forwarding no", "maxauthtries 4"):
        assert line in sshd.splitlines()
    assert "hmac-sha1" not in sshd
    sysctl = cycle.host.sudo("cat /etc/sysctl.d/*.conf").stdout
    assert "kernel.dmesg_restrict" in sysctl and "1" in sysctl
    modprobe = cycle.host.sudo("cat /etc/modprobe.d/*.conf").stdout
    assert "install cramfs /bin/false" in modprobe and "blacklist cramfs" in modprobe


def test_container_kernel_settings_are_persisted_not_applied(cycle: Cycle) -> None:
    text = evidence(cycle.steps["audit2"].report, HOST, "WL-SYS-01")
    assert "container" in text and "persisted" in text


def test_report_carries_run_facts_and_catalog(cycle: Cycle) -> None:
    report = cycle.steps["audit1"].report
    assert report["schema"] == "carehard-report/1"
    assert report["run"]["mode"] == "audit" and report["run"]["level"] == 3
    host = next(h for h in report["hosts"] if h["name"] == HOST)
    assert (
        host["reachable"]
        and host["facts"]["os"] == "Debian"
        and host["facts"]["virtualization"] == "container"
    )
    ids = {c["id"] for c in report["controls"]}
    assert set(FAILING_ON_FRESH_DEBIAN + PASSING_ON_FRESH_DEBIAN) <= ids


def test_every_run_is_in_the_history_with_its_artifacts(cycle: Cycle, state_dir: Path) -> None:
    with sqlite3.connect(state_dir / "history.db") as db:
        runs = {row[0]: row[1:] for row in db.execute("SELECT id, mode, exit_code, artifacts FROM runs")}
        for step in cycle.steps.values():
            run_id = step.report["run"]["id"]
            mode, exit_code, artifacts = runs[run_id]
            assert mode == step.report["run"]["mode"] and exit_code == step.returncode
            assert (Path(artifacts) / "job_events").is_dir()
            stored = dict(
                db.execute(
                    "SELECT control, status FROM results WHERE run_id = ? AND host = ?", (run_id, HOST)
                ).fetchall()
            )
            assert stored == statuses(step.report, HOST)


def test_html_report_names_the_host_and_controls(cycle: Cycle) -> None:
    audit = cycle.steps["audit1"]
    html_path = Path(audit.stdout.split("report: ")[-1].strip())
    assert html_path.name == "report.html"
    html = html_path.read_text()
    assert HOST in html and "WL-SSH-01" in html


def test_plain_ansible_playbook_still_works_on_the_roles(cycle: Cycle, tmp_path: Path) -> None:
    """The roles need none of carehard's Python: AWX or ansible-playbook run them as they are."""
    inventory = harness.write_inventory(tmp_path / "hosts.yml", [cycle.host])
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            str(inventory),
            "--check",
            str(root / "playbooks" / "site.yml"),
        ],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "changed=0" in proc.stdout and "failed=0" in proc.stdout


def test_every_report_validates_against_the_shipped_schema(cycle: Cycle) -> None:
    schema_path = Path(__file__).resolve().parents[2] / "carehard/report/carehard-report-1.schema.json"
    validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text()))
    for name, step in cycle.steps.items():
        errors = [e.message for e in validator.iter_errors(step.report)]
        assert not errors, f"{name}: {errors[:3]}"
