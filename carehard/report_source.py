"""Where `carehard report` takes its run from: the history (--run, --last) or artifacts (--artifacts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carehard.errors import UsageError
from carehard.history import BackupCheck, History, RunRecord
from carehard.paths import history_path
from carehard.report.trend import backup_set_trend, run_trend


def load_history_run(run_id: str | None) -> RunRecord:
    history = History(history_path())
    if run_id is None:
        run_id = history.last_run_id()
        if run_id is None:
            raise UsageError("no run in the history yet: run carehard audit first")
    run = history.load(run_id)
    if run is None:
        raise UsageError(f"no run {run_id} in the history: see `carehard runs list`")
    return run


def load_run(
    run_id: str | None, artifacts: Path | None
) -> tuple[RunRecord, list[BackupCheck], list[dict[str, Any]]]:
    """The run, its sets' trend (backup runs) and its pass-rate trend (history runs)."""
    if artifacts is not None:
        from carehard.artifacts import run_from_artifacts

        return run_from_artifacts(artifacts), [], []
    run = load_history_run(run_id)
    history = History(history_path())
    backups = backup_set_trend(history, run) if run.mode == "backup" else []
    return run, backups, run_trend(history, run)
