"""The Windows side of remote_access (RA-WIN-*), which no test host can run: the plays parse for
an inventory with Windows and Linux hosts, and every Windows task belongs to a catalog control."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import load_catalog
from carehard.engine.results import TASK_ID

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "roles" / "remote_access" / "tasks"
# Every control block's rescue: it belongs to no control (the failed task's event says which).
RESCUE_TASK = "Go on with the other controls"
BLOCK_KEYS = ("block", "rescue", "always")
PLAYBOOK_CMD = str(Path(sys.executable).with_name("ansible-playbook"))


def inventory(path: Path) -> Path:
    body = {
        "all": {
            "children": {
                "windows_workstations": {
                    "hosts": {"poste-radio-01.hopital.example": {"ansible_host": "192.0.2.31"}},
                    "vars": {
                        "ansible_connection": "winrm",
                        "ansible_winrm_transport": "kerberos",
                        "carehard_bastions": ["192.0.2.5"],
                    },
                },
                "linux_workstations": {
                    "hosts": {"poste-urgences-01.hopital.example": {"ansible_host": "192.0.2.11"}},
                },
                # The site's Active Directory (read from the control node by the directory play).
                "directories": {
                    "hosts": {"hopital.example": {"carehard_directory_domain": "hopital.example"}},
                },
            }
        }
    }
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def syntax_check(playbook: Path, hosts: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PLAYBOOK_CMD, "--syntax-check", "-i", str(hosts), str(playbook)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_remote_access_play_parses_for_windows_and_linux_hosts(tmp_path: Path) -> None:
    proc = syntax_check(ROOT / "playbooks" / "remote_access.yml", inventory(tmp_path / "hosts.yml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Both plays matched a host: a renamed group would leave the Windows play silently empty.
    assert "Could not match supplied host pattern" not in proc.stderr, proc.stderr


def check_task_file_parses(tmp_path: Path, role: str, tasks_from: str) -> None:
    """Imported statically: a play that includes a task file at run time leaves it out of its own
    --syntax-check."""
    play = [
        {
            "name": "Windows hosts",
            "hosts": "windows_workstations",
            "gather_facts": False,
            "tasks": [
                {
                    "name": f"Import {tasks_from}",
                    "ansible.builtin.import_role": {"name": role, "tasks_from": tasks_from},
                }
            ],
        }
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    proc = syntax_check(playbook, inventory(tmp_path / "hosts.yml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("tasks_from", ["windows.yml", "window_windows.yml"])
def test_windows_task_files_parse(tmp_path: Path, tasks_from: str) -> None:
    """vendor_window.yml and main.yml include these at run time."""
    check_task_file_parses(tmp_path, "remote_access", tasks_from)


def tasks_in(items: Any, tags: tuple[str, ...] = ()) -> Iterator[tuple[dict[str, Any], tuple[str, ...]]]:
    """Every task and block of a task list, with the tags it inherits from its blocks."""
    for item in items or []:
        if not isinstance(item, dict):
            continue
        own = item.get("tags") or []
        inherited = tags + tuple([own] if isinstance(own, str) else own)
        yield item, inherited
        for key in BLOCK_KEYS:
            yield from tasks_in(item.get(key), inherited)


def test_every_windows_control_task_is_named_and_tagged_after_a_catalog_ra_win_id() -> None:
    catalog = load_catalog()
    expected = {c.id for c in catalog.all() if c.id.startswith("RA-WIN-")}
    assert expected, "the catalog has no RA-WIN control"
    for control in expected:
        assert "windows" in catalog[control].platforms, f"{control} is not a Windows control in the catalog"
    seen: set[str] = set()
    tasks = list(tasks_in(yaml.safe_load((TASKS / "windows.yml").read_text(encoding="utf-8"))))
    assert tasks
    for task, tags in tasks:
        name = str(task.get("name", ""))
        if name == RESCUE_TASK:
            continue
        match = TASK_ID.match(name)
        assert match, f"windows.yml: task '{name}' does not start with '<ID> | '"
        cid = match.group(1)
        assert cid in expected, f"windows.yml: task '{name}' uses {cid}, not an RA-WIN control of the catalog"
        assert cid in tags, f"windows.yml: task '{name}' is not tagged {cid}"
        seen.add(cid)
    missing = sorted(expected - seen)
    assert not missing, f"RA-WIN controls with no task in windows.yml: {', '.join(missing)}"


@pytest.mark.parametrize("control", ["RA-WIN-01", "RA-WIN-02", "RA-WIN-03", "RA-WIN-04", "RA-WIN-05"])
def test_every_windows_control_ends_in_an_assert_that_cannot_stop_the_run(control: str) -> None:
    """The evidence of a control is its assert; ignore_errors makes a failed check `fail`, not `error`."""
    tasks = [t for t, _ in tasks_in(yaml.safe_load((TASKS / "windows.yml").read_text(encoding="utf-8")))]
    asserts = [
        t
        for t in tasks
        if str(t.get("name", "")).startswith(f"{control} | ")
        and any(k in t for k in ("ansible.builtin.assert", "assert"))
    ]
    assert asserts, f"{control}: no assert task"
    for task in asserts:
        assert task.get("ignore_errors") is True, f"{control}: '{task['name']}' lacks ignore_errors: true"
        assert task.get("register"), f"{control}: '{task['name']}' is not registered"


def test_window_tasks_are_not_controls() -> None:
    """carehard vendor open/close is not a control: an ID in its task names would fold into a result."""
    for task, _ in tasks_in(yaml.safe_load((TASKS / "window_windows.yml").read_text(encoding="utf-8"))):
        name = str(task.get("name", ""))
        assert name, "window_windows.yml: a task has no name"
        assert not TASK_ID.match(name), f"window_windows.yml: task '{name}' is named like a control"
