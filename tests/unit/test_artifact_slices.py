"""`carehard report --artifacts A --artifacts B`: the slices of one sliced AWX job (each an
ansible-runner run of some of its hosts) reported as one run. Real ansible-runner runs of a local
play make the slices' artifacts."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import ansible_runner
import yaml

from tests.clirun import carehard

PLAY = [
    {
        "hosts": "all",
        "gather_facts": False,
        "tasks": [
            {
                "name": "WL-SSH-01 | Check that root cannot log in over SSH",
                "ansible.builtin.assert": {
                    "that": "inventory_hostname != 'ward-b-01'",
                    "fail_msg": "PermitRootLogin yes (/etc/ssh/sshd_config)",
                    "quiet": True,
                },
                "ignore_errors": True,
            }
        ],
    }
]


def slice_run(root: Path, name: str, hosts: list[str], check: bool = True) -> Path:
    """One slice: an ansible-runner run of the play on `hosts` (local connection), as AWX leaves it."""
    private = root / name
    private.mkdir()
    playbook = root / "play.yml"
    playbook.write_text(yaml.safe_dump(PLAY), encoding="utf-8")
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"hosts": {host: local for host in hosts}}}
    bin_dir = str(Path(sys.executable).parent)
    result = ansible_runner.run(
        private_data_dir=str(private),
        playbook=str(playbook),
        inventory=inventory,
        ident=name,
        quiet=True,
        cmdline="--check" if check else "",
        envvars={"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"},
    )
    assert result.rc == 0, result.stdout.read()
    return private


def test_the_slices_of_one_job_report_as_one_run(tmp_path: Path) -> None:
    first = slice_run(tmp_path, "job-42-slice-1", ["ward-a-01"])
    second = slice_run(tmp_path, "job-42-slice-2", ["ward-b-01"])
    out = tmp_path / "report"
    slices = ("--artifacts", first, "--artifacts", second)
    proc = carehard("report", *slices, "--output", out, "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    results = {h["name"]: {r["control"]: r["status"] for r in h["results"]} for h in report["hosts"]}
    assert results == {"ward-a-01": {"WL-SSH-01": "pass"}, "ward-b-01": {"WL-SSH-01": "fail"}}
    assert report["run"]["mode"] == "audit" and report["run"]["id"] == "job-42-slice-1-and-1-more"


def test_slices_of_different_runs_are_refused(tmp_path: Path) -> None:
    audit = slice_run(tmp_path, "audit", ["ward-a-01"])
    harden = slice_run(tmp_path, "harden", ["ward-b-01"], check=False)
    mixed = carehard("report", "--artifacts", audit, "--artifacts", harden, "--output", tmp_path / "mixed")
    assert mixed.returncode == 2
    assert "a harden, where" in mixed.stderr and "give the slices of one job" in mixed.stderr
    twice = carehard("report", "--artifacts", audit, "--artifacts", audit, "--output", tmp_path / "twice")
    assert twice.returncode == 2 and "host ward-a-01 is also in" in twice.stderr
    assert not (tmp_path / "mixed").exists() and not (tmp_path / "twice").exists()
