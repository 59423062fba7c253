"""Prometheus text-format metrics of a run, for node_exporter's textfile collector.

Written whole or not at all (a temporary file in the same directory, then a rename), so the
collector never reads half a file; labels name the mode, host or backup set.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from carehard.errors import UsageError
from carehard.files import write_atomic
from carehard.history import History
from carehard.model import BackupCheck, RunRecord

VERDICTS = ("pass", "fail", "error", "unreachable")
PASSING = ("pass", "waived", "fixed")
NOT_EVALUATED = ("not_applicable",)


def check_target(path: Path) -> None:
    """Before any run: the metrics file's directory exists and is writable."""
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"--metrics-file {path} is a directory: give a file name, e.g. {path}/carehard.prom")
    if not directory.is_dir() or not os.access(directory, os.W_OK):
        raise UsageError(f"--metrics-file {path}: directory {directory} does not exist or is not writable")


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Mapping[str, object]) -> str:
    return "{" + ",".join(f'{key}="{_label(value)}"' for key, value in pairs.items()) + "}"


def _epoch(moment: str | None) -> float | None:
    if not moment:
        return None
    try:
        return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class _Families:
    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {}

    def add(
        self, name: str, kind: str, help_text: str, labels: Mapping[str, object], value: float | None
    ) -> None:
        if value is None:
            return
        family = self.lines.setdefault(name, [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"])
        number = float(value)
        shown = str(int(number)) if number.is_integer() else repr(number)
        family.append(f"{name}{_labels(labels)} {shown}")

    def text(self) -> str:
        return "".join(line + "\n" for lines in self.lines.values() for line in lines)


def run_metrics(
    run: RunRecord, checks: Sequence[BackupCheck] = (), last_success: Mapping[str, str | None] | None = None
) -> str:
    """The metrics of one run: its outcome, counts by status, each host's pass ratio, and for a
    backup run each set's verdict, snapshot age, restore time and throughput, last success."""
    f = _Families()
    mode = {"mode": run.mode}
    f.add(
        "carehard_run_timestamp_seconds",
        "gauge",
        "When the run finished (Unix time).",
        mode,
        _epoch(run.finished),
    )
    f.add(
        "carehard_run_exit_code",
        "gauge",
        "The run's exit code (0 pass, 1 fail, 2 usage, 3 error).",
        mode,
        run.exit_code,
    )
    counts: dict[str, int] = {}
    for host in run.hosts.values():
        for result in host.results.values():
            counts[result.status] = counts.get(result.status, 0) + 1
    for status in sorted(counts):
        f.add(
            "carehard_run_results",
            "gauge",
            "Control results of the run by status.",
            {**mode, "status": status},
            counts[status],
        )
    for host in sorted(run.hosts.values(), key=lambda h: h.name):
        statuses = [r.status for r in host.results.values() if r.status not in NOT_EVALUATED]
        labels = {**mode, "host": host.name}
        f.add("carehard_host_reachable", "gauge", "1 when the host was reached.", labels, int(host.reachable))
        ratio = sum(s in PASSING for s in statuses) / len(statuses) if statuses else None
        f.add(
            "carehard_host_pass_ratio",
            "gauge",
            "Share of the host's evaluated controls that pass.",
            labels,
            ratio,
        )
    for check in sorted(checks, key=lambda c: c.backup_set):
        labels = {"set": check.backup_set}
        for verdict in VERDICTS:
            f.add(
                "carehard_backup_verdict",
                "gauge",
                "1 for the set's verdict of this run.",
                {**labels, "verdict": verdict},
                int(check.verdict == verdict),
            )
        f.add(
            "carehard_backup_snapshot_age_seconds",
            "gauge",
            "Age of the newest snapshot.",
            labels,
            check.snapshot_age_seconds,
        )
        f.add(
            "carehard_backup_restore_seconds",
            "gauge",
            "Time of the test restore.",
            labels,
            check.restore_seconds,
        )
        f.add(
            "carehard_backup_restore_throughput_bytes_per_second",
            "gauge",
            "Throughput of the test restore.",
            labels,
            check.throughput,
        )
        f.add(
            "carehard_backup_last_success_timestamp_seconds",
            "gauge",
            "When the set last passed (Unix time).",
            labels,
            _epoch((last_success or {}).get(check.backup_set)),
        )
    return f.text()


def last_successes(history: History, sets: Iterable[str]) -> dict[str, str | None]:
    """The newest passing verification of each set, from the history."""
    return {
        name: next((c.checked_at for c in history.backup_checks(name) if c.verdict == "pass"), None)
        for name in sets
    }


def write_run_metrics(path: Path, run: RunRecord, checks: Sequence[BackupCheck] = ()) -> None:
    """The run's metrics into `path`, with each backup set's last success from the history."""
    from carehard.paths import history_path

    successes = last_successes(History(history_path()), [c.backup_set for c in checks]) if checks else {}
    write_metrics(path, run_metrics(run, checks, successes))


def write_metrics(path: Path, text: str) -> None:
    """Replace the file whole, readable by the collector: it never reads half a file."""
    write_atomic(path, text, mode=0o644)
