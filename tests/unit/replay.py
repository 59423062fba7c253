"""Replay a role's checks in real Ansible on recorded probe output (for hosts none can be had here).

The role's task files are copied with each read-only probe replaced by a set_fact of its recorded
output and the fixes left out; the asserts, the role's variables and filter plugins (and those of
the carehard role, which it depends on: the PowerShell output decoder) are the real ones, and the
events are folded by carehard's own ResultFolder, as in a run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import ansible_runner
import yaml

from carehard.engine.results import ResultFolder
from carehard.model import HostOutcome

PROBES = ("ansible.windows.win_shell", "ansible.windows.win_command")
FIXES = (
    "ansible.windows.win_regedit",
    "ansible.windows.win_powershell",
    "ansible.windows.win_firewall",
    "ansible.windows.win_optional_feature",
    "ansible.windows.win_feature",
    "ansible.windows.win_service",
)


def replay(
    items: Any, samples: Mapping[str, str], role: Path, dropped_includes: Iterable[str] = ()
) -> list[Any]:
    """The task list with each probe replaced by its recorded output and the fixes left out."""
    dropped = set(dropped_includes)
    out: list[Any] = []
    for task in items or []:
        task = dict(task)
        include_vars = task.get("ansible.builtin.include_vars")
        if "block" in task:
            task["block"] = replay(task["block"], samples, role, dropped)
        elif any(key in task for key in PROBES):
            register = task["register"]
            out.append(
                {
                    "name": f"Recorded output of {register}",
                    "ansible.builtin.set_fact": {register: {"stdout": samples.get(register, ""), "rc": 0}},
                    **({"when": task["when"]} if "when" in task else {}),
                }
            )
            continue
        elif any(key in task for key in FIXES) or (
            "ansible.builtin.include_tasks" in task
            and task["ansible.builtin.include_tasks"]["file"] in dropped
        ):
            continue
        elif isinstance(include_vars, str):
            task["ansible.builtin.include_vars"] = str(role / "vars" / include_vars)
        out.append(task)
    return out


def run_replay(
    tmp_path: Path,
    role: Path,
    samples: Mapping[str, str],
    controls: Iterable[str],
    entry_files: Iterable[str],
    copied_files: Iterable[str] = (),
    dropped_includes: Iterable[str] = (),
    extra_vars: Mapping[str, Any] | None = None,
) -> HostOutcome:
    """Run the replayed entry files (and the files they include) in --check on localhost."""
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    entries = list(entry_files)
    for name in [*entries, *copied_files]:
        body = yaml.safe_load((role / "tasks" / name).read_text(encoding="utf-8"))
        replayed = replay(body, samples, role, dropped_includes)
        (tasks / name).write_text(yaml.safe_dump(replayed, sort_keys=False), encoding="utf-8")
    play = [
        {
            "name": f"Replay the {role.name} checks",
            "hosts": "localhost",
            "gather_facts": False,
            "vars_files": [str(role / "defaults" / "main.yml"), str(role / "vars" / "main.yml")],
            "tasks": [
                {"name": f"Checks of {Path(name).stem}", "ansible.builtin.import_tasks": str(tasks / name)}
                for name in entries
            ],
        }
    ]
    playbook = tmp_path / "replay.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    folder = ResultFolder(True, list(controls))
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
        cmdline="--check",
        extravars=dict(extra_vars or {}),
        envvars={
            "ANSIBLE_FILTER_PLUGINS": os.pathsep.join(
                str(path / "filter_plugins") for path in (role, role.parent / "carehard")
            ),
            "ANSIBLE_LIBRARY": str(role / "library"),
            "ANSIBLE_NOCOLOR": "1",
            "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        },
        event_handler=lambda event: bool(folder.feed(event)) or True,
        quiet=True,
    )
    host = folder.outcomes().get("localhost")
    assert host is not None, f"the replay ran on no host (status {runner.status})"
    assert not host.errors, host.errors
    return host
