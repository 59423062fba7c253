"""What `harden --dry-run` shows, from its audit's RunRecord: per host, the controls harden would
change with each task's diff (capped), and the counts harden's confirmation asks with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from carehard.model import ControlResult, RunRecord, TaskChange

FILE_NAME = "dry-run.txt"
MAX_TASK_LINES = 40
# A control under an active waiver is audited, never changed by harden.
NOT_CHANGED_BY_HARDEN = ("waived",)


@dataclass(frozen=True)
class DryRun:
    """The would-change controls of each host the audit reached, and the hosts it did not reach."""

    changes: dict[str, list[ControlResult]]  # reached host -> its controls with a change, by ID
    unreachable: list[str]
    errors: dict[str, list[str]]  # reached host -> its controls whose tasks broke (harden may too)
    level: int
    only: int  # how many controls --only selected; 0 without --only

    @property
    def reached(self) -> int:
        return len(self.changes)

    @property
    def task_count(self) -> int:
        return sum(len(r.changes) for results in self.changes.values() for r in results)

    @property
    def control_count(self) -> int:
        return len({r.control for results in self.changes.values() for r in results})


def dry_run_of(run: RunRecord) -> DryRun:
    changes: dict[str, list[ControlResult]] = {}
    unreachable: list[str] = []
    errors: dict[str, list[str]] = {}
    for host in run.hosts.values():
        if not host.reachable:
            unreachable.append(host.name)
            continue
        changes[host.name] = [
            r for r in host.results.values() if r.changes and r.status not in NOT_CHANGED_BY_HARDEN
        ]
        broken = [r.control for r in host.results.values() if r.status == "error"]
        if broken:
            errors[host.name] = broken
    only = len(run.controls) if run.selection.get("only") else 0
    return DryRun(changes, unreachable, errors, run.level, only)


def capped(lines: Sequence[str], limit: int = MAX_TASK_LINES) -> list[str]:
    """At most `limit` lines, the rest counted: a diff can be a whole file."""
    if len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"... {len(lines) - limit} more lines"]


def task_lines(change: TaskChange) -> list[str]:
    """One changed task: its name, then its diff lines (capped), indented under it."""
    if change.hidden:
        return [f"{change.task}: would change (diff hidden: {change.hidden})"]
    if not change.diff:
        return [f"{change.task}: would change"]
    return [f"{change.task}:", *(f"  {line}" for line in capped(change.diff))]


def report_lines(dry: DryRun) -> list[str]:
    """The would-change details, host by host, then one line of totals."""
    lines: list[str] = []
    for host, results in dry.changes.items():
        tasks = sum(len(r.changes) for r in results)
        if results:
            lines.append(f"{host}: would make {_changes(tasks)} on {_count(len(results), 'control')}")
        else:
            lines.append(f"{host}: nothing would change")
        for result in results:
            lines.append(f"  {result.control}")
            lines += [f"    {line}" for change in result.changes for line in task_lines(change)]
        if host in dry.errors:
            lines.append(f"  tasks broke, see the report: {', '.join(dry.errors[host])}")
    lines += [f"{host}: unreachable, not evaluated" for host in dry.unreachable]
    lines.append(f"Dry run: {_totals(dry)}, {_count(dry.reached, 'host')} reached; nothing was changed.")
    return lines


def question(dry: DryRun, target: str | None) -> str:
    """Harden's confirmation: e.g. "Harden 12 hosts of site/ at level 2: 143 changes on 37 controls?"
    `target`: the inventory as typed, None for this machine."""
    where = "this machine" if target is None else f"{_count(dry.reached, 'host')} of {target}"
    text = f"Harden {where} {_scope(dry)}: {_totals(dry)}"
    if dry.unreachable:
        text += f" (unreachable, left as they are: {', '.join(dry.unreachable)})"
    return text + "?"


def nothing_to_change(dry: DryRun, target: str | None) -> str:
    """What harden says instead of asking, when the dry run found nothing to change."""
    where = "this machine" if target is None else f"{_count(dry.reached, 'host')} of {target}"
    text = f"Nothing to change on {where} {_scope(dry)}"
    if dry.unreachable:
        return text + f" (unreachable, not evaluated: {', '.join(dry.unreachable)})."
    return text + ": harden has nothing to do."


def _scope(dry: DryRun) -> str:
    return f"with --only {_count(dry.only, 'control')}" if dry.only else f"at level {dry.level}"


def _totals(dry: DryRun) -> str:
    return f"{_changes(dry.task_count)} on {_count(dry.control_count, 'control')}"


def _changes(n: int) -> str:
    return _count(n, "change")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
