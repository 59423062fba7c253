"""The pass rate of a run's predecessors on the same inventory, from the history: the report's trend."""

from __future__ import annotations

from typing import Any

from carehard.history import History
from carehard.model import BackupCheck, RunRecord, RunSummary
from carehard.paths import recorded_inventory

TREND_LENGTH = 30


# Runs of these modes have a trend of their own; audit and harden runs share one.
OWN_TREND_MODES = ("backup", "facts", "exposure")


def trend_kind(mode: str) -> str:
    return mode if mode in OWN_TREND_MODES else "assess"


def run_trend(history: History, run: RunRecord, limit: int = TREND_LENGTH) -> list[dict[str, Any]]:
    """Runs of the same inventory and kind (backup, facts, exposure, or audit/harden) up to this one,
    oldest first."""
    kind = trend_kind(run.mode)
    inventory = recorded_inventory(str(run.selection.get("inventory", "")))
    chosen = [
        s
        for s in history.runs()
        if s.inventory == inventory and trend_kind(s.mode) == kind and s.started <= run.started
    ]
    return [_point(s) for s in reversed(chosen[:limit])]


def backup_set_trend(history: History, run: RunRecord, limit: int = TREND_LENGTH) -> list[BackupCheck]:
    """The verifications of the run's backup sets up to this run, newest first, `limit` per set."""
    return [
        check
        for name in run.selection.get("sets", [])
        for check in [c for c in history.backup_checks(name) if c.checked_at <= run.finished][:limit]
    ]


def _point(summary: RunSummary) -> dict[str, Any]:
    return {
        "run_id": summary.id,
        "started": summary.started,
        "mode": summary.mode,
        "pass_rate": summary.pass_rate,
        "counts": dict(summary.counts),
    }
