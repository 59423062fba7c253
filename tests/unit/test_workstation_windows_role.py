"""The workstation_windows role (WW-*), which no test host can run: its plays parse for a mixed
inventory, every catalog control has its tasks, and every control ends in an assert that is its
evidence. Its switches and argument specs are checked with every role's in test_roles_static."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.catalog import load_catalog
from carehard.engine.results import TASK_ID
from tests.unit.test_catalog_roles import tasks_in
from tests.unit.test_windows_plays import check_task_file_parses, syntax_check
from tests.unit.test_windows_plays import inventory as mixed_inventory

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "workstation_windows"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def ww_controls() -> list[str]:
    return [c.id for c in load_catalog().all() if c.family == "workstation_windows"]


def test_site_play_parses_for_windows_and_linux_hosts(tmp_path: Path) -> None:
    proc = syntax_check(ROOT / "playbooks" / "site.yml", mixed_inventory(tmp_path / "hosts.yml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Could not match supplied host pattern" not in proc.stderr, proc.stderr
    assert "playbook: " in proc.stdout


@pytest.mark.parametrize("tasks_from", sorted(p.name for p in (ROLE / "tasks").glob("*.yml")))
def test_every_task_file_parses(tmp_path: Path, tasks_from: str) -> None:
    """main.yml includes settings_fix.yml and settings_check.yml at run time."""
    check_task_file_parses(tmp_path, "workstation_windows", tasks_from)


def test_the_setting_controls_are_the_ids_their_block_is_tagged_with() -> None:
    """A setting item whose ID the block is not tagged with would never run under --tags."""
    items = load(ROLE / "defaults" / "main.yml")["workstation_windows_setting_controls"]
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "an ID appears twice in workstation_windows_setting_controls"
    catalog = load_catalog()
    for cid in ids:
        assert cid in catalog and catalog[cid].family == "workstation_windows", cid
    block = load(ROLE / "tasks" / "settings.yml")[0]
    assert set(block["tags"]) == set(ids)
    for item in items:
        for guid in (a["guid"] for a in item.get("audit", [])):
            assert guid.startswith("{") and guid.endswith("}") and len(guid) == 38, f"{item['id']}: {guid}"


def test_every_control_is_checked_by_an_assert_that_cannot_stop_the_run() -> None:
    """The evidence of a control is its assert; ignore_errors makes a failed check `fail`, not `error`."""
    asserted: set[str] = set()
    for path in sorted((ROLE / "tasks").glob("*.yml")):
        for task, tags in tasks_in(load(path)):
            if "ansible.builtin.assert" not in task:
                continue
            name = str(task.get("name", ""))
            match = TASK_ID.match(name)
            if name.startswith("{{ item.id }} | "):
                asserted.update(t for t in load(ROLE / "tasks" / "settings.yml")[0]["tags"])
            elif match:
                asserted.add(match.group(1))
                assert match.group(1) in tags, f"{path.name}: '{name}' is not tagged {match.group(1)}"
            else:
                continue
            assert task.get("ignore_errors") is True, f"{path.name}: '{name}' lacks ignore_errors: true"
            assert task.get("register"), f"{path.name}: '{name}' is not registered"
    missing = sorted(set(ww_controls()) - asserted)
    assert not missing, f"WW controls without an assert: {', '.join(missing)}"


def test_read_only_probes_run_in_check_mode_and_change_nothing() -> None:
    for path in sorted((ROLE / "tasks").glob("*.yml")):
        for task, _ in tasks_in(load(path)):
            if any(m in task for m in ("ansible.windows.win_shell", "ansible.windows.win_command")):
                name = task.get("name")
                assert task.get("check_mode") is False, f"{path.name}: probe '{name}' lacks check_mode: false"
                assert task.get("changed_when") is False, (
                    f"{path.name}: probe '{name}' lacks changed_when: false"
                )
