"""Where `carehard report` takes its run from: the history (--run, --last) or artifacts (--artifacts)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carehard.errors import UsageError
from carehard.history import History
from carehard.model import BackupCheck, RunRecord
from carehard.paths import history_path
from carehard.report.trend import backup_set_trend, run_trend

RELATIVE = re.compile(r"^last(?:~([0-9]+))?$")


def load_history_run(run_id: str | None) -> RunRecord:
    history = History(history_path())
    run = history.load(resolve_run_id(history, run_id or "last"))
    if run is None:  # removed between the two reads
        raise UsageError(f"no run {run_id} in the history: see `carehard runs list`")
    return run


def resolve_run_id(history: History, text: str) -> str:
    """A run as the user names it: its id, a unique prefix of it, `last`, or `last~N` (N runs before)."""
    relative = RELATIVE.match(text)
    if relative:
        back = int(relative.group(1) or 0)
        ids = history.run_ids(limit=back + 1)
        if not ids:
            raise UsageError("no run in the history yet: run carehard audit first")
        if len(ids) <= back:
            raise UsageError(f"{text}: the history holds only {len(ids)} run(s)")
        return ids[back]
    found = history.run_ids(prefix=text)
    if text in found:
        return text
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"no run {text} in the history: see `carehard runs list`")
    shown = ", ".join(found[:3]) + (", …" if len(found) > 3 else "")
    raise UsageError(f"run {text}: {len(found)} runs start so ({shown}); give more of the id")


@dataclass(frozen=True)
class ReportSource:
    run: RunRecord
    backups: list[BackupCheck] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    fleet: list[dict[str, Any]] | None = None
    exposure: dict[str, Any] | None = None


def load_run(run_id: str | None, artifacts: Sequence[Path] = ()) -> ReportSource:
    """The run, its sets' trend (backup runs), its pass-rate trend, its fleet rows and exposure map:
    from the history, or from artifacts alone (whose facts give the fleet rows)."""
    if artifacts:
        from carehard.engine.artifacts import run_from_artifacts
        from carehard.report.fleet import artifacts_extras

        for path in artifacts:
            _refuse_pruned(path)
        run = run_from_artifacts(artifacts)
        fleet, exposure = artifacts_extras(run)
        return ReportSource(run, fleet=fleet, exposure=exposure)
    from carehard.report.fleet import report_extras

    run = load_history_run(run_id)
    history = History(history_path())
    backups = backup_set_trend(history, run) if run.mode == "backup" else []
    fleet, exposure = report_extras(history, run)
    return ReportSource(run, backups, run_trend(history, run), fleet, exposure)


def _refuse_pruned(artifacts: Path) -> None:
    """A run directory `carehard runs prune` removed is named so, with where its results still are."""
    from carehard.jobs.runs_prune import pruned_run_of

    run_id = pruned_run_of(artifacts)
    if run_id is None:
        return
    if run_id in History(history_path()).run_ids(prefix=run_id):
        raise UsageError(
            f"--artifacts {artifacts}: the artifacts of run {run_id} were pruned (carehard runs prune);"
            f" its results are still in the history: carehard report --run {run_id}"
        )
    raise UsageError(
        f"--artifacts {artifacts}: run {run_id} has no directory any more (pruned?) and is not in the history"
    )
