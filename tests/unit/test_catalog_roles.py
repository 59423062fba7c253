"""The catalog and the roles agree: every task ID is in the catalog, every catalog ID has tasks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from carehard.catalog import ID_PATTERN, load_catalog
from carehard.engine.results import TASK_ID
from carehard.engine.selection import IMPLEMENTED_FAMILIES

ROLES = Path(__file__).resolve().parents[2] / "roles"
BLOCK_KEYS = ("block", "rescue", "always")


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def tasks_in(items: Any, inherited: tuple[str, ...] = ()) -> Iterator[tuple[dict[str, Any], tuple[str, ...]]]:
    """Every task and block, with its tags including those it inherits from enclosing blocks."""
    for item in items or []:
        if not isinstance(item, dict):
            continue
        tags = inherited + tuple(as_list(item.get("tags")))
        yield item, tags
        for key in BLOCK_KEYS:
            yield from tasks_in(item.get(key), tags)


def role_tasks() -> Iterator[tuple[Path, dict[str, Any], tuple[str, ...]]]:
    for path in sorted(ROLES.glob("*/tasks/*.yml")) + sorted(ROLES.glob("*/handlers/*.yml")):
        for task, tags in tasks_in(yaml.safe_load(path.read_text(encoding="utf-8"))):
            yield path, task, tags


def judging(task: dict[str, Any]) -> bool:
    """A loop whose items are labelled "{{ item.id }} | ...": each item is a control's result."""
    label = str((task.get("loop_control") or {}).get("label", ""))
    return "loop" in task and re.match(r"^\{\{\s*item\.id\s*\}\}\s*\|", label) is not None


def test_every_task_id_is_in_the_catalog_and_tagged_with_it() -> None:
    catalog = load_catalog()
    for path, task, tags in role_tasks():
        match = TASK_ID.match(str(task.get("name", "")))
        if not match:
            continue
        cid = match.group(1)
        assert cid in catalog, f"{path}: task '{task['name']}' uses {cid}, which the catalog lacks"
        assert cid in tags, f"{path}: task '{task['name']}' is not tagged {cid}"


def test_every_tag_that_looks_like_an_id_is_in_the_catalog() -> None:
    catalog = load_catalog()
    for path, task, tags in role_tasks():
        for tag in tags:
            if ID_PATTERN.match(tag):
                assert tag in catalog, (
                    f"{path}: '{task.get('name')}' is tagged {tag}, which the catalog lacks"
                )


def test_every_catalog_id_of_an_implemented_family_has_tasks() -> None:
    """A control is implemented by tasks named after it, or by a data-driven include or a judging
    loop (items labelled "<ID> | <what>", docs/writing-controls.md) tagged with it."""
    implemented: set[str] = set()
    for _, task, tags in role_tasks():
        match = TASK_ID.match(str(task.get("name", "")))
        if match:
            implemented.add(match.group(1))
        if any(key in task for key in ("ansible.builtin.include_tasks", "include_tasks")) or judging(task):
            implemented.update(t for t in tags if ID_PATTERN.match(t))
    # EX-NET-01's result is made by carehard itself (carehard/exposure/) from the probe's measures:
    # a task named after it would report a result for the vantage host, which it is not about.
    folded = (ROLES.parent / "carehard" / "exposure" / "__init__.py").read_text(encoding="utf-8")
    implemented.update(m.group(0) for m in re.finditer(r"\b[A-Z]{2}-[A-Z0-9]+-[0-9]{2}\b", folded))
    expected = {c.id for c in load_catalog().all() if c.family in IMPLEMENTED_FAMILIES}
    missing = sorted(expected - implemented)
    assert not missing, f"catalog IDs with no role task: {', '.join(missing)}"


def test_no_control_task_runs_under_another_controls_tag() -> None:
    """A task named after one control but tagged (or inheriting a block's tag) with another would
    run, and in harden change the host, when only that other control is selected."""
    for path, task, tags in role_tasks():
        match = TASK_ID.match(str(task.get("name", "")))
        if not match:
            continue
        others = sorted({t for t in tags if ID_PATTERN.match(t)} - {match.group(1)})
        assert not others, f"{path}: '{task['name']}' also runs under {', '.join(others)}"
