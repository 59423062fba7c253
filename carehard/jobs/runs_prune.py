"""`carehard runs prune`, and the same prune after every run when the config file sets `carehard_runs`:
run directories under runs/ removed when older than `keep`, then the oldest others while they all
weigh more than `max_size`. The history's rows stay: the results are the evidence, and small.

Never removed: a run the history still points to as the last run of a host or the last verification
of a backup set (history/pinned.py), the run that just ended (`spare`), a run in progress, and
anything under runs/ whose name is not a run id. A run's age counts from its start, the time in its id.

A run in progress: the prune takes every run lock, as `history rebuild` does, for the moment it
chooses the directories and renames each to a hidden `.pruning-<id>`; no run can start or be going
on meanwhile. The slow part, deleting the renamed directories, comes after the locks are let go. An
interrupted prune leaves `.pruning-*` directories, which the next prune finishes first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from carehard import clock
from carehard.config import config_section
from carehard.durations import format_duration, parse_duration
from carehard.engine.lock import BACKUPS, EXPOSURE, HOSTS, LockHeld, run_lock
from carehard.engine.run import run_started
from carehard.errors import UsageError
from carehard.history.pinned import Pinned, RecordedRuns, recorded_runs
from carehard.paths import history_path, runs_dir
from carehard.sizes import format_size, parse_size

PRUNING = ".pruning-"
NO_POLICY = "give --keep or --max-size, or set carehard_runs in the config file"


@dataclass(frozen=True)
class PrunePolicy:
    keep: int | None = None  # seconds
    max_size: int | None = None  # bytes
    keep_text: str = ""  # as the user wrote them, for the messages
    max_size_text: str = ""


@dataclass(frozen=True)
class RunDir:
    id: str
    path: Path
    started: datetime
    size: int  # bytes on disk, as du counts them


@dataclass(frozen=True)
class Removal:
    run: RunDir
    mode: str | None  # None: the run is not in the history (interrupted, or its history set aside)
    why: str  # "older than 90d", "over 5G"


@dataclass
class PruneOutcome:
    policy: PrunePolicy
    dry_run: bool = False
    removed: list[Removal] = field(default_factory=list)
    kept: dict[str, Pinned] = field(default_factory=dict)  # would have gone, still the last of something
    finished: list[tuple[str, int]] = field(default_factory=list)  # .pruning-* left by an earlier prune
    others: list[str] = field(default_factory=list)  # entries of runs/ that are not run directories
    runs_left: int = 0
    size_left: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def freed(self) -> int:
        return sum(r.run.size for r in self.removed) + sum(size for _name, size in self.finished)


def parse_policy(keep: str | None, max_size: str | None, where: str = "") -> PrunePolicy:
    """The policy from --keep/--max-size (where="") or the config file's keys (where="config F: ...")."""
    keep_name, size_name = (f"{where}keep", f"{where}max_size") if where else ("--keep", "--max-size")
    return PrunePolicy(
        None if keep is None else parse_duration(keep, keep_name),
        None if max_size is None else parse_size(max_size, size_name),
        "" if keep is None else str(keep),
        "" if max_size is None else str(max_size),
    )


def configured_policy() -> PrunePolicy | None:
    """`carehard_runs` of the config file in use ({keep: 90d, max_size: 5G}), or None."""
    section, path = config_section("carehard_runs")
    if not section or (section.get("keep") is None and section.get("max_size") is None):
        return None
    return parse_policy(section.get("keep"), section.get("max_size"), f"config {path}: carehard_runs.")


def chosen_policy(keep: str | None, max_size: str | None) -> PrunePolicy:
    """The options given replace the config file's policy as a whole; with neither, the config's."""
    if keep is not None or max_size is not None:
        return parse_policy(keep, max_size)
    configured = configured_policy()
    if configured is None:
        raise UsageError(NO_POLICY)
    return configured


def prune_after_run(policy: PrunePolicy | None, run_id: str) -> str | None:
    """The config file's policy applied once a run has ended and is saved, sparing that run. Silent;
    a warning line when it failed, which never costs the run its exit code. Another run holding a
    lock leaves the prune to a later run."""
    if policy is None:
        return None
    try:
        outcome = prune_runs(policy, spare=frozenset({run_id}))
    except LockHeld:
        return None
    except Exception as exc:  # nothing here may cost the run that was just saved
        return f"old runs not pruned: {exc}"
    if outcome.failures:
        return "old runs not all pruned: " + "; ".join(outcome.failures)
    return None


def prune_runs(
    policy: PrunePolicy, dry_run: bool = False, spare: frozenset[str] = frozenset()
) -> PruneOutcome:
    """Remove (with dry_run: only choose) the run directories the policy lets go. Raises LockHeld when
    a run is going on, HistoryError when the history cannot say which runs are still needed."""
    outcome = PruneOutcome(policy, dry_run)
    root = runs_dir()
    if not root.is_dir():
        return outcome
    outcome.finished = _finish_leftovers(root, dry_run, outcome.failures)
    measured = {run.id: run for run in _run_dirs(root, [])}  # outside the locks: the slow walk
    renamed: list[Path] = []
    with _every_lock():
        listed = _run_dirs(root, outcome.others, measure=False)  # again: what ended meanwhile, too
        runs = [measured.get(run.id) or _measured(run) for run in listed]
        recorded = recorded_runs(history_path())
        _choose(sorted(runs, key=lambda r: (r.started, r.id)), recorded, spare, outcome)
        if not dry_run:
            renamed = _set_aside(root, outcome)
    for path in renamed:
        _remove_tree(path, outcome.failures)
    return outcome


@contextmanager
def _every_lock() -> Iterator[None]:
    with ExitStack() as locks:
        for lock in (HOSTS, BACKUPS, EXPOSURE):
            locks.enter_context(run_lock(lock, "runs prune"))
        yield


def _choose(runs: list[RunDir], recorded: RecordedRuns, spare: frozenset[str], outcome: PruneOutcome) -> None:
    """Oldest first: those older than keep, then those over max_size; the needed ones are passed over."""
    policy, now = outcome.policy, clock.now()
    left: list[RunDir] = []

    def removable(run: RunDir) -> bool:
        if run.id in recorded.pinned and run.id not in spare:
            outcome.kept[run.id] = recorded.pinned[run.id]
        return run.id not in recorded.pinned and run.id not in spare

    for run in runs:
        old = policy.keep is not None and (now - run.started).total_seconds() > policy.keep
        if old and removable(run):
            outcome.removed.append(Removal(run, recorded.modes.get(run.id), f"older than {policy.keep_text}"))
        else:
            left.append(run)
    total = sum(run.size for run in left)
    if policy.max_size is not None:
        for run in list(left):
            if total <= policy.max_size:
                break
            if removable(run):
                why = f"over {policy.max_size_text}"
                outcome.removed.append(Removal(run, recorded.modes.get(run.id), why))
                left.remove(run)
                total -= run.size
    outcome.runs_left, outcome.size_left = len(left), total


def _set_aside(root: Path, outcome: PruneOutcome) -> list[Path]:
    """Each chosen directory renamed to .pruning-<id>: from then on it is no run directory, and a
    prune stopped halfway leaves only such names, finished next time."""
    renamed = []
    for removal in list(outcome.removed):
        target = root / f"{PRUNING}{removal.run.id}"
        try:
            os.rename(removal.run.path, target)
        except OSError as exc:
            outcome.removed.remove(removal)
            outcome.failures.append(f"cannot remove {removal.run.path}: {exc.strerror or exc}")
        else:
            renamed.append(target)
    return renamed


def _finish_leftovers(root: Path, dry_run: bool, failures: list[str]) -> list[tuple[str, int]]:
    leftovers = sorted(p for p in root.iterdir() if p.name.startswith(PRUNING) and not p.is_symlink())
    found = [(p.name, disk_usage(p)) for p in leftovers]
    if not dry_run:
        for path in leftovers:
            _remove_tree(path, failures)
    return found


def _run_dirs(root: Path, others: list[str], measure: bool = True) -> list[RunDir]:
    """The run directories under root (sizes measured when asked); the other names go to `others`."""
    runs = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(PRUNING) and not entry.is_symlink():
            continue
        started = run_started(entry.name)
        if started is None or entry.is_symlink() or not entry.is_dir():
            others.append(entry.name)
            continue
        runs.append(RunDir(entry.name, entry, started, disk_usage(entry) if measure else 0))
    return runs


def _measured(run: RunDir) -> RunDir:
    return RunDir(run.id, run.path, run.started, disk_usage(run.path))


def disk_usage(path: Path) -> int:
    """Bytes the tree takes on disk (its blocks, as du counts them); what vanishes meanwhile is 0."""
    total = 0
    pending = [str(path)]
    while pending:
        current = pending.pop()
        try:
            total += os.lstat(current).st_blocks * 512
            with os.scandir(current) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
    return total


def _remove_tree(path: Path, failures: list[str]) -> None:
    """Delete the tree, deepest first; what is already gone (another prune at it) is no failure."""
    try:
        for parent, dirs, files in os.walk(path, topdown=False):
            for name in files:
                _unlink(os.path.join(parent, name))
            for name in dirs:
                _unlink(os.path.join(parent, name), directory=not os.path.islink(os.path.join(parent, name)))
        _unlink(str(path), directory=True)
    except OSError as exc:
        failures.append(f"cannot remove {path}: {exc.strerror or exc}")


def _unlink(path: str, directory: bool = False) -> None:
    try:
        if directory:
            os.rmdir(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def pruned_run_of(path: Path) -> str | None:
    """The run id when `path` was (in) a run directory under runs/ that is gone."""
    if path.exists():
        return None
    for root in {runs_dir().absolute(), runs_dir().resolve()}:
        try:
            first = path.expanduser().absolute().relative_to(root).parts[:1]
        except ValueError:
            continue
        if first and run_started(first[0]) is not None:
            return first[0]
    return None


def summary(outcome: PruneOutcome) -> list[str]:
    """The lines `carehard runs prune` prints: one per directory, then the total."""
    verb = "would remove" if outcome.dry_run else "removed"
    lines = [
        f"{'would finish' if outcome.dry_run else 'finished'} removing {name}, left by an interrupted "
        f"prune ({format_size(size)})"
        for name, size in outcome.finished
    ]
    now = clock.now()
    for removal in outcome.removed:
        run = removal.run
        what = removal.mode or "not in the history"
        age = format_duration((now - run.started).total_seconds())
        lines.append(f"{verb} {run.id}: {what}, started {age} ago, {format_size(run.size)} ({removal.why})")
    if outcome.others:
        lines.append(
            f"left {_count(len(outcome.others), 'entry', 'entries')} of {runs_dir()} that "
            f"{'is' if len(outcome.others) == 1 else 'are'} not a carehard run: {', '.join(outcome.others)}"
        )
    lines.append(_total(outcome, verb))
    return lines


def _total(outcome: PruneOutcome, verb: str) -> str:
    freed = format_size(outcome.freed)
    if outcome.removed or outcome.finished:
        total = f"{verb} {_count(len(outcome.removed), 'run', 'runs')}, " + (
            f"{freed} would be freed" if outcome.dry_run else f"{freed} freed"
        )
    else:
        total = "nothing to remove"
    left = f"{_count(outcome.runs_left, 'run', 'runs')} left, {format_size(outcome.size_left)}"
    parts = [total, left]
    if outcome.kept:
        kinds = []
        if any(p.hosts for p in outcome.kept.values()):
            kinds.append("the last run of a host")
        if any(p.backup_sets for p in outcome.kept.values()):
            kinds.append("the last verification of a backup set")
        parts.append(f"kept {_count(len(outcome.kept), 'run', 'runs')} still {' or '.join(kinds)}")
    max_size = outcome.policy.max_size
    if max_size is not None and outcome.size_left > max_size:
        parts.append(f"still over {outcome.policy.max_size_text}: what is left is still needed")
    return "; ".join(parts)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"
