"""The repository as an AWX project: a "Check" job template of playbooks/site.yml run the way AWX
runs it (ansible-runner, no carehard Python in the loop) finds what `carehard audit` finds.

What is AWX's here (awx/main/tasks/jobs.py, RunJob): the private data dir with the project copied
into project/ (the working directory, so the project's ansible.cfg is read), the inventory as the
script AWX writes in inventory/hosts from the hosts and groups it imported (`ansible-inventory
--list --export` of the inventory source), its meta extra vars, ANSIBLE_ROLES_PATH and
ANSIBLE_COLLECTIONS_PATH built as AWX builds them (its requirements dirs first, then the project's
roles_path), and the arguments of a Check job with "Show changes" and Job Tags: --check -u USER
--diff --tags TAGS.
What is not: no container (the execution environment's tools are this virtualenv's), and the
collections of collections/requirements.yml come from the installed `ansible` package instead of
a project sync (no network).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest

from tests.integration.spare_audit import (
    control_task_files,
    control_tasks,
    controls,
    fold,
    job_events,
    runner_path,
    spare_audit,
    tags,
)
from tests.testhosts import harness

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# What an AWX project sync copies that matters to a job (AWX copies the whole checkout).
PROJECT_FILES = ("ansible.cfg", "playbooks", "roles", "collections", "inventories")
JOB_ID = 4242


def awx_inventory_script(path: Path, source: Path) -> Path:
    """The inventory as AWX hands it to a job: an executable script printing the imported groups,
    hosts and their variables, from `ansible-inventory --list --export` of the inventory source."""
    listing = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-inventory")), "-i", str(source), "--list", "--export"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    data = json.loads(listing.stdout)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint({json.dumps(data)!r})\n", encoding="utf-8"
    )
    path.chmod(0o700)
    return path


def awx_private_data_dir(private: Path) -> Path:
    """private/project: a copy of the repository's Ansible content, as a project sync leaves it."""
    project = private / "project"
    project.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copyfile(source, project / name)
    for folder in ("requirements_roles", "requirements_collections", "cp"):
        (private / folder).mkdir(mode=0o700)
    return project


def awx_environment(private: Path) -> dict[str, str]:
    """RunJob.build_env's paths: requirements dirs, then the project's roles_path (./roles, relative
    to the job's working directory, the project), then Ansible's defaults."""
    return {
        "JOB_ID": str(JOB_ID),
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(private / "cp"),
        "ANSIBLE_ROLES_PATH": ":".join(
            [
                str(private / "requirements_roles"),
                "./roles",
                "~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles",
            ]
        ),
        "ANSIBLE_COLLECTIONS_PATH": ":".join(
            [
                str(private / "requirements_collections"),
                "~/.ansible/collections:/usr/share/ansible/collections",
            ]
        ),
        "PATH": runner_path(),
    }


def test_a_check_job_template_finds_what_carehard_audit_finds(
    fleet: dict[str, harness.TestHost],
    state_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    audit = spare_audit(fleet, tmp_path_factory)
    spare = audit.host
    # Nothing of carehard's own settings may reach the job: AWX sets none of them.
    for name in ("ANSIBLE_CONFIG", "ANSIBLE_ROLES_PATH", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_LIBRARY"):
        monkeypatch.delenv(name, raising=False)

    private = tmp_path / "awx"
    project = awx_private_data_dir(private)
    inventory = awx_inventory_script(private / "inventory" / "hosts", audit.inventory)
    runner = ansible_runner.run(
        private_data_dir=str(private),
        project_dir=str(project),
        ident=str(JOB_ID),
        playbook="playbooks/site.yml",
        inventory=str(inventory),
        extravars={
            "awx_job_id": JOB_ID,
            "awx_job_template_name": "carehard audit",
            "awx_job_launch_type": "manual",
        },
        envvars=awx_environment(private),
        cmdline=f"--check -u admin --diff --tags {tags()}",
        quiet=True,
    )
    events = job_events(private / "artifacts" / str(JOB_ID) / "job_events")
    assert runner.rc in (0, 2), (private / "artifacts" / str(JOB_ID) / "stdout").read_text()[-4000:]

    # The project's ansible.cfg was the one read, and the roles came from the project copy.
    started = next(e for e in events if e["event"] == "playbook_on_start")
    assert started["event_data"]["playbook"] == "playbooks/site.yml"
    files = control_task_files(events)
    assert files and all(f.startswith(f"{project}/roles/") for f in files), sorted(files)[:5]

    ours = fold(events, controls())
    assert ours[spare.name] == audit.statuses
    assert control_tasks(events, spare.name) == control_tasks(job_events(audit.events), spare.name)
    # The comparison means something: several families, passes and failures.
    assert {cid.split("-")[0] for cid in audit.statuses} >= {"WL", "RA", "IV", "EX"}
    assert {"pass", "fail"} <= set(audit.statuses.values())
