"""WL-FS-06..10: the mount probe's JSON and what the role's variables make of it, in real Ansible.

The probe runs here for real on "/" (it only reads /etc/fstab and findmnt); the evaluation of
recorded probe outputs (an fstab entry that lacks options, a live mount that lacks them, no entry
at all) runs through the role's own vars/main.yml in ansible-playbook on localhost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import ansible_runner
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "workstation_linux"
VARS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
VAR_TMP = {"id": "WL-FS-08", "path": "/var/tmp", "options": ["nodev", "nosuid", "noexec"]}


def entry(**fields: Any) -> dict[str, Any]:
    base = {"fstab": False, "src": "", "type": "", "opts": "", "dump": "0", "pass": "0"}
    return {**base, "mounted": False, "live_type": "", "live_opts": "", **fields}


def evaluate(tmp_path: Path, state: dict[str, Any], live_kernel: bool) -> dict[str, Any]:
    """workstation_linux__mount_eval and the evidence for VAR_TMP, given the probe's output."""
    out = tmp_path / "eval.json"
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars_files": [str(ROLE / "defaults" / "main.yml"), str(ROLE / "vars" / "main.yml")],
            "vars": {"item": VAR_TMP, "workstation_linux__mount_before": {"stdout": json.dumps(state)}},
            "tasks": [
                {
                    "name": "Write what the role makes of the probe",
                    "ansible.builtin.copy": {
                        "dest": str(out),
                        "content": "{{ {'eval': workstation_linux__mount_eval,"
                        " 'evidence': workstation_linux__mount_evidence,"
                        " 'na': workstation_linux__mount_na_note} | to_json }}",
                        "mode": "0600",
                    },
                }
            ],
        }
    ]
    playbook = tmp_path / "eval.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    (tmp_path / "runner").mkdir()
    runner = ansible_runner.run(
        private_data_dir=str(tmp_path / "runner"),
        playbook=str(playbook),
        inventory={
            "all": {
                "hosts": {
                    "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                }
            }
        },
        extravars={
            "workstation_linux__live_kernel": live_kernel,
            "workstation_linux__not_live_reason": "host is a container: the kernel belongs to the machine",
        },
        envvars={
            "ANSIBLE_NOCOLOR": "1",
            "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
        },
        quiet=True,
    )
    assert runner.status == "successful", runner.stdout.read()
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def test_the_probe_prints_one_json_object_per_mount_point() -> None:
    proc = subprocess.run(
        ["bash", "-c", VARS["workstation_linux__mount_probe_cmd"]],
        env={**os.environ, "MOUNT_POINTS": "/ /carehard-no-such-mount-point"},
        capture_output=True,
        text=True,
        check=True,
    )
    state = json.loads(proc.stdout)
    assert state["/"]["mounted"] is True and state["/"]["live_opts"]
    assert state["/carehard-no-such-mount-point"] == entry()


def test_an_entry_lacking_options_gets_them_and_keeps_its_own(tmp_path: Path) -> None:
    state = {"/var/tmp": entry(fstab=True, src="tmpfs", type="tmpfs", opts="rw,nosuid,exec,mode=1777")}
    got = evaluate(tmp_path, state, live_kernel=False)
    assert got["eval"]["separate"] and not got["eval"]["ok"]
    assert got["eval"]["fstab_missing"] == ["nodev", "noexec"]
    assert got["eval"]["write_opts"] == "rw,nosuid,mode=1777,nodev,noexec"
    assert "(missing nodev,noexec)" in got["evidence"]
    assert "take effect at the next boot" in got["evidence"]


def test_a_live_mount_lacking_options_fails_where_the_host_owns_its_kernel(tmp_path: Path) -> None:
    complete = "defaults,nodev,nosuid,noexec"
    live = {"mounted": True, "live_type": "ext4", "live_opts": "rw,nosuid,relatime"}
    state = {"/var/tmp": entry(fstab=True, src="UUID=1234", type="ext4", opts=complete, **live)}
    (tmp_path / "own").mkdir()
    own_kernel = evaluate(tmp_path / "own", state, live_kernel=True)
    assert not own_kernel["eval"]["ok"] and own_kernel["eval"]["live_missing"] == ["nodev", "noexec"]
    assert "remount needed" in own_kernel["evidence"]
    (tmp_path / "container").mkdir()
    container = evaluate(tmp_path / "container", state, live_kernel=False)
    assert container["eval"]["ok"], container


@pytest.mark.parametrize(
    ("state", "separate"),
    [
        ({"/var/tmp": entry()}, False),
        ({"/var/tmp": entry(mounted=True, live_type="tmpfs", live_opts="rw")}, True),
    ],
)
def test_a_mount_point_without_an_entry(tmp_path: Path, state: dict[str, Any], separate: bool) -> None:
    """Neither in fstab nor mounted: not applicable, saying why. Mounted by something else: fails, says so."""
    got = evaluate(tmp_path, state, live_kernel=True)
    assert got["eval"]["separate"] is separate
    if separate:
        assert not got["eval"]["ok"] and "mounted by something other than /etc/fstab" in got["evidence"]
    else:
        assert "not a separate mount" in got["na"]
