"""`carehard history check` and `carehard history rebuild`: the history file itself."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import click

from carehard.cli.base import cli, say
from carehard.engine.lock import BACKUPS, EXPOSURE, HOSTS, run_lock
from carehard.errors import UsageError
from carehard.history import History
from carehard.history.upkeep import TABLES, problem_of, salvage, set_aside
from carehard.model import EXIT_FAIL
from carehard.paths import history_path


@cli.group("history")
def history_group() -> None:
    """The history file: check it, or rebuild it from what can still be read."""


@history_group.command("check")
def history_check() -> None:
    """SQLite's integrity check of the history. Exits 1 when it is damaged."""
    path = history_path()
    if not path.exists():
        say(f"no history yet at {path}")
        return
    problem = problem_of(path, thorough=True)
    if problem is not None:
        say(
            f"the history {path} is damaged: {problem}; `carehard history rebuild` sets it aside "
            "and copies the runs it can read into a fresh one"
        )
        sys.exit(EXIT_FAIL)
    say(f"the history {path} is sound: {len(History(path).runs())} run(s)")


@history_group.command("rebuild")
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Copy the rows of this file (a history set aside, a copy) into the history.",
)
def history_rebuild(source: Path | None) -> None:
    """Set a damaged history aside (renamed, never deleted) and copy every row that can still be
    read from it into a fresh one; with --from, copy the readable rows of that file instead.

    Takes every run lock: no run records while it works.
    """
    path = history_path()
    aside = False
    with ExitStack() as locks:
        for lock in (HOSTS, BACKUPS, EXPOSURE):
            locks.enter_context(run_lock(lock, "history rebuild"))
        if source is None:
            if not path.exists():
                raise UsageError(f"no history at {path}: nothing to rebuild")
            problem = problem_of(path, thorough=True)
            if problem is None:
                say(f"the history {path} is sound: nothing to rebuild")
                return
            source, aside = set_aside(path), True
            say(f"the history {path} is damaged ({problem}): set aside as {source}")
        elif source.resolve() == path.resolve():
            raise UsageError("--from names the history itself: give a copy or a file set aside")
        copied = salvage(source, path)
    counts = ", ".join(f"{copied[t]} {t.replace('_', ' ')}" for t in TABLES)
    if not any(copied.values()):
        now = "a fresh, empty one" if aside else "as it was"
        say(f"no row of {source} (kept there) could be read or was missing; the history {path} is {now}")
    else:
        say(f"copied from {source} into {path}: {counts}")
