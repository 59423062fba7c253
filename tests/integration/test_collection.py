"""The roles as the carehard.baseline collection: built by scripts/build_collection.py, installed
offline into a scratch collections path, its roles run from an integrator's three-line playbook in
check mode (nothing of the repository in reach: no roles_path, no ansible.cfg), and its events
folded into the same per-control results as `carehard audit` gives on the same host.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest

from carehard import __version__
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
BIN = Path(sys.executable).parent
# workstation_linux is the baseline; compliance_facts brings a module (fleet_facts) and filters
# (fleet_eval.py) that must work as the collection's plugins.
PLAYBOOK = """\
- hosts: linux_workstations
  become: true
  roles: [carehard.baseline.workstation_linux, carehard.baseline.compliance_facts]
"""
FAMILIES = ("workstation_linux", "compliance_facts")


def build_and_install(work: Path) -> Path:
    """The collection built into work/dist and installed into work/collections; returns the latter."""
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_collection.py"), "--output-path", str(work / "dist")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    tarball = Path(built.stdout.strip())
    assert tarball.name == f"carehard-baseline-{__version__}.tar.gz" and tarball.is_file()
    # --offline: the dependencies (ansible.posix, community.general, ansible.windows) are those of
    # the installed `ansible` package; nothing is downloaded.
    installed = subprocess.run(
        [
            str(BIN / "ansible-galaxy"),
            "collection",
            "install",
            "--offline",
            "-p",
            str(work / "collections"),
            str(tarball),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=work,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (
        work / "collections" / "ansible_collections" / "carehard" / "baseline" / "MANIFEST.json"
    ).is_file()
    return work / "collections"


def test_a_role_of_the_collection_reports_like_carehard_audit(
    fleet: dict[str, harness.TestHost],
    state_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    audit = spare_audit(fleet, tmp_path_factory)
    spare = audit.host
    for name in ("ANSIBLE_CONFIG", "ANSIBLE_ROLES_PATH", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_LIBRARY"):
        monkeypatch.delenv(name, raising=False)
    collections = build_and_install(tmp_path)
    play = tmp_path / "play"  # no ansible.cfg here: Ansible's defaults, as in a fresh integrator project
    play.mkdir()
    (play / "site.yml").write_text(PLAYBOOK, encoding="utf-8")
    (tmp_path / "no-roles").mkdir()

    private = tmp_path / "runner"
    private.mkdir()
    runner = ansible_runner.run(
        private_data_dir=str(private),
        project_dir=str(play),
        ident="collection",
        playbook="site.yml",
        inventory=str(audit.inventory),
        envvars={
            "ANSIBLE_COLLECTIONS_PATH": str(collections),
            "ANSIBLE_ROLES_PATH": str(tmp_path / "no-roles"),
            "PATH": runner_path(),
        },
        cmdline=f"--check --diff --tags {tags(*FAMILIES)}",
        quiet=True,
    )
    events = job_events(private / "artifacts" / "collection" / "job_events")
    assert runner.rc in (0, 2), (private / "artifacts" / "collection" / "stdout").read_text()[-4000:]
    roles = collections / "ansible_collections" / "carehard" / "baseline" / "roles"
    files = control_task_files(events)
    assert files and all(f.startswith(f"{roles}/") for f in files), sorted(files)[:5]

    expected = {cid: status for family in FAMILIES for cid, status in audit.family(family).items()}
    assert len(expected) > 60 and {"IV-OS-01", "EX-SVC-01"} <= set(expected)
    assert fold(events, controls(*FAMILIES))[spare.name] == expected
    theirs = job_events(audit.events)
    assert control_tasks(events, spare.name) == (
        control_tasks(theirs, spare.name, "WL-")
        | control_tasks(theirs, spare.name, "IV-")
        | control_tasks(theirs, spare.name, "EX-")
    )
