"""One `carehard audit` of the untouched spare host, shared by the tests that run carehard's roles
without carehard (as AWX does, and from the built collection) and compare what they find with it.

The audit runs at level 3 and covers every control of every family but workstation_linux, of which
it keeps the areas of WL_SAMPLE (the whole baseline, once per host, is the Linux cycle's); the runs
compared with it select the same controls by tags, as carehard itself does (`tags()`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carehard.catalog import load_catalog
from carehard.engine.results import TASK_ID, ResultFolder
from carehard.engine.selection import Selection, select_controls
from carehard.paths import runs_dir
from tests.clirun import carehard, load_report, statuses
from tests.testhosts import harness

LEVEL = 3
# The workstation_linux areas the spare audit keeps: probes shared by many controls (sysctl,
# modules), installs and removals seen in check mode, file edits and audit-only checks.
WL_SAMPLE = ("WL-SSH-", "WL-SYS-", "WL-MOD-", "WL-LOG-", "WL-SVC-", "WL-ACC-0")


@dataclass(frozen=True)
class SpareAudit:
    host: harness.TestHost
    inventory: Path
    statuses: dict[str, str]  # control -> status on the spare host
    events: Path  # the job_events directory of carehard's run

    def family(self, family: str) -> dict[str, str]:
        ids = set(controls(family))
        return {cid: status for cid, status in self.statuses.items() if cid in ids}


_AUDITS: dict[str, SpareAudit] = {}


def spare_audit(
    fleet: Mapping[str, harness.TestHost], tmp_path_factory: pytest.TempPathFactory
) -> SpareAudit:
    """carehard's audit of the spare host, made once per session (the host is never changed)."""
    host = fleet["spare"]
    if host.name not in _AUDITS:
        work = tmp_path_factory.mktemp("spare-audit")
        inventory = harness.write_inventory(work / "hosts.yml", [host])
        proc = carehard(
            "audit",
            "-i",
            inventory,
            "--level",
            str(LEVEL),
            "--skip",
            ",".join(_left_out()),
            "--output",
            work / "report",
            "--format",
            "json",
        )
        # A fresh host fails some controls (1); an error or an unreachable host (3) spoils the comparison.
        assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
        report = load_report(work / "report")
        run_id = report["run"]["id"]
        _AUDITS[host.name] = SpareAudit(
            host,
            inventory,
            statuses(report, host.name),
            runs_dir() / run_id / "artifacts" / run_id / "job_events",
        )
    return _AUDITS[host.name]


def _left_out() -> list[str]:
    linux = (c for c in load_catalog().all() if c.family == "workstation_linux")
    return [c.id for c in linux if not c.id.startswith(WL_SAMPLE)]


def controls(*families: str) -> list[str]:
    """The IDs the spare audit covers of these families (default: those `audit` runs)."""
    selection = Selection(level=LEVEL, families=families) if families else Selection(level=LEVEL)
    left_out = set(_left_out())
    return [c.id for c in select_controls(load_catalog(), selection) if c.id not in left_out]


def tags(*families: str) -> str:
    """--tags selecting what the spare audit covers of these families, as carehard's own runs do."""
    return ",".join(controls(*families))


def job_events(directory: Path) -> list[dict[str, Any]]:
    """The events of an ansible-runner artifacts job_events directory, in the order they happened."""
    events = [json.loads(p.read_text(encoding="utf-8")) for p in directory.glob("*.json")]
    return sorted(events, key=lambda e: int(e.get("counter", 0)))


def fold(events: Iterable[Mapping[str, Any]], control_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Per host, per control, the status carehard's ResultFolder gives an audit (check mode) run."""
    folder = ResultFolder(True, control_ids)
    for event in events:
        folder.feed(event)
    return {
        name: {cid: r.status for cid, r in host.results.items()} for name, host in folder.outcomes().items()
    }


def control_result_name(event: Mapping[str, Any]) -> str | None:
    """The "<ID> | <what>" an event reported a control's result under: the name of a control's own
    task, or the label of an item of a family's judging loop; None for any other event."""
    data = event.get("event_data") or {}
    kind = str(event.get("event", ""))
    task = str(data.get("task") or "")
    if kind.startswith("runner_on_") and TASK_ID.match(task):
        return task
    label = str((data.get("res") or {}).get("_ansible_item_label") or "")
    if kind.startswith("runner_item_on_") and TASK_ID.match(label):
        return label
    return None


def control_tasks(events: Iterable[Mapping[str, Any]], host: str, prefix: str = "") -> set[str]:
    """The "<ID> | <what>" names (control tasks, judged items) that reported a result on the host."""
    names = set()
    for event in events:
        name = control_result_name(event)
        if name and name.startswith(prefix) and (event.get("event_data") or {}).get("host") == host:
            names.add(name)
    return names


def control_task_files(events: Iterable[Mapping[str, Any]]) -> set[str]:
    """The task files the controls' results came from (where Ansible found the roles)."""
    files = set()
    for event in events:
        if control_result_name(event):
            files.add(str((event.get("event_data") or {}).get("task_path") or "").rsplit(":", 1)[0])
    return files


def runner_path() -> str:
    """PATH with this virtualenv's bin first, so ansible-runner finds ansible-playbook."""
    bindir = str(Path(sys.executable).parent)
    return bindir + os.pathsep + os.environ.get("PATH", "")
