"""`carehard backup verify`: restore-test every backup set (playbooks/backup_verify.yml), record, report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carehard import __version__
from carehard.backups import BackupSet, load_sets
from carehard.catalog import load_catalog
from carehard.engine.results import apply_waivers
from carehard.engine.run import PlaybookRun, new_run_id
from carehard.errors import RunBroken, UsageError
from carehard.history import History
from carehard.jobs.assess import EventObserver, ResultObserver, play
from carehard.model import BackupCheck, HostOutcome, RunRecord, exit_code_of
from carehard.paths import history_path
from carehard.report import build_report, write_reports
from carehard.report.trend import backup_set_trend, run_trend

PLAYBOOK = "backup_verify.yml"
FAMILY = "backup_verify"
HOST_SUFFIX = ".backup"  # the playbook's host for set NAME is "NAME.backup"


@dataclass(frozen=True)
class VerifyOptions:
    inventory: Path
    sets: tuple[str, ...]
    read_data: bool
    output: Path
    formats: tuple[str, ...]


@dataclass(frozen=True)
class VerifyResult:
    run: RunRecord
    checks: list[BackupCheck]
    report_files: list[Path]
    exit_code: int


def verify(
    options: VerifyOptions, on_event: EventObserver | None = None, on_result: ResultObserver | None = None
) -> VerifyResult:
    sets = load_sets(options.inventory, options.sets)
    catalog = load_catalog()
    controls = [c.id for c in catalog.all() if c.family == FAMILY]
    try:
        options.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create report directory {options.output}: {exc.strerror}") from None
    history = History(history_path())
    run_id = new_run_id()
    started = _now()
    request = PlaybookRun(
        inventory=options.inventory.resolve(),
        check_mode=True,
        tags=controls,
        extravars={
            "carehard_mode": "backup",
            "carehard_backup_only": [s.name for s in sets],
            "carehard_backup_read_data": options.read_data,
            "carehard_backup_canaries": canaries_by_set(history, sets),
        },
        playbook=PLAYBOOK,
    )
    hosts, artifacts = play(run_id, run_id, request, controls, on_event, on_result)
    local = hosts.get("localhost")
    # The other hosts are the production hosts probed for BK-OFF-01: the sets' evidence tells of them.
    hosts = {name: host for name, host in hosts.items() if name.endswith(HOST_SUFFIX)}
    if local is not None and (local.errors or not local.reachable):
        raise RunBroken(
            "the backup sets could not be read: " + ("; ".join(local.errors) or "localhost unreachable")
        )
    if not hosts:
        raise RunBroken(f"no backup set was verified: see {artifacts / 'stdout'}")
    apply_waivers(hosts.values())
    record = RunRecord(
        id=run_id,
        mode="backup",
        started=started,
        finished=_now(),
        carehard_version=__version__,
        level=1,
        selection={
            "inventory": str(options.inventory),
            "limit": None,
            "only": [],
            "skip": [],
            "sets": [s.name for s in sets],
            "read_data": options.read_data,
        },
        controls=controls,
        exit_code=exit_code_of(hosts.values()),
        artifacts=str(artifacts),
        hosts=hosts,
    )
    for host in hosts.values():
        host.facts.update(_set_facts(host, sets))
    checks = [check_of(run_id, record.finished, host) for host in hosts.values()]
    history.save(record)
    history.save_backup_checks(checks)
    report = build_report(record, catalog, backup_set_trend(history, record), run_trend(history, record))
    files = write_reports(report, options.output, options.formats)
    return VerifyResult(record, checks, files, record.exit_code)


def set_name(host: str) -> str:
    return host.removesuffix(HOST_SUFFIX)


def canaries_by_set(history: History, sets: Sequence[BackupSet]) -> dict[str, list[dict[str, Any]]]:
    wanted = {s.name for s in sets}
    found: dict[str, list[dict[str, Any]]] = {}
    for canary in history.canaries():
        if canary.backup_set in wanted:
            found.setdefault(canary.backup_set, []).append(
                {"written": canary.written_at, "sha256": canary.sha256, "mtime": canary.mtime}
            )
    return found


def verdict_of(host: HostOutcome) -> str:
    statuses = {r.status for r in host.results.values()}
    if not host.reachable or "unreachable" in statuses:
        return "unreachable"
    if host.errors or "error" in statuses:
        return "error"
    return "fail" if "fail" in statuses else "pass"


def check_of(run_id: str, checked_at: str, host: HostOutcome) -> BackupCheck:
    measures = host.measures.get("primary", {})
    snapshot = measures.get("snapshot") or {}
    restore = measures.get("restore") or {}
    return BackupCheck(
        run_id=run_id,
        backup_set=set_name(host.name),
        checked_at=checked_at,
        verdict=verdict_of(host),
        snapshot_time=snapshot.get("time"),
        snapshot_age_seconds=snapshot.get("age_seconds"),
        check_ok=measures.get("check_ok"),
        restore_seconds=restore.get("seconds"),
        restore_bytes=restore.get("bytes"),
        throughput=restore.get("throughput"),
        rto_estimate_seconds=measures.get("rto_estimate_seconds"),
        measures=host.measures,
    )


def _set_facts(host: HostOutcome, sets: Sequence[BackupSet]) -> dict[str, Any]:
    """What the report shows of a set in place of an OS: its repository and restore host."""
    for backup_set in sets:
        if backup_set.name == set_name(host.name):
            return {
                "backup_set": backup_set.name,
                "repository": backup_set.repository,
                "restore_host": backup_set.restore_host,
                "rpo": backup_set.rpo,
                "rto": backup_set.rto,
            }
    return {}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
