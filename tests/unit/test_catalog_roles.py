"""The catalog and the roles agree: every task ID is in the catalog, every catalog ID has tasks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from carehard.catalog import load_catalog
from carehard.results import TASK_ID
from carehard.selection import IMPLEMENTED_FAMILIES

ROLES = Path(__file__).resolve().parents[2] / "roles"
BLOCK_KEYS = ("block", "rescue", "always")


def tasks_in(items: Any) -> Iterator[dict[str, Any]]:
    for item in items or []:
        if not isinstance(item, dict):
            continue
        yield item
        for key in BLOCK_KEYS:
            yield from tasks_in(item.get(key))


def role_tasks() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(ROLES.glob("*/tasks/*.yml")) + sorted(ROLES.glob("*/handlers/*.yml")):
        for task in tasks_in(yaml.safe_load(path.read_text(encoding="utf-8"))):
            yield path, task


def test_every_task_id_is_in_the_catalog_and_tagged_with_it() -> None:
    catalog = load_catalog()
    for path, task in role_tasks():
        match = TASK_ID.match(str(task.get("name", "")))
        if not match:
            continue
        cid = match.group(1)
        assert cid in catalog, f"{path}: task '{task['name']}' uses {cid}, which the catalog lacks"
        tags = task.get("tags") or []
        tags = [tags] if isinstance(tags, str) else tags
        assert cid in tags, f"{path}: task '{task['name']}' is not tagged {cid}"


def test_every_catalog_id_of_an_implemented_family_has_tasks() -> None:
    implemented = {m.group(1) for _, t in role_tasks() if (m := TASK_ID.match(str(t.get("name", ""))))}
    expected = {c.id for c in load_catalog().all() if c.family in IMPLEMENTED_FAMILIES}
    missing = sorted(expected - implemented)
    assert not missing, f"catalog IDs with no role task: {', '.join(missing)}"
