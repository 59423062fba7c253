"""`carehard backup verify`: restore-test every backup set (playbooks/backup_verify.yml), record, report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carehard.backup_parts import check_parts
from carehard.backups import BackupSet, load_sets
from carehard.catalog import Catalog
from carehard.engine.inventory import list_hosts
from carehard.engine.lock import BACKUPS
from carehard.engine.run import PlaybookRun
from carehard.errors import RunBroken
from carehard.history import History
from carehard.jobs.pipeline import Execution, Job, Policy, RunContext
from carehard.model import BackupCheck, HostOutcome, RunRecord
from carehard.paths import history_path, inventory_identity
from carehard.report.trend import backup_set_trend, run_trend
from carehard.waivers import check_waivers

PLAYBOOK = "backup_verify.yml"
FAMILY = "backup_verify"
HOST_SUFFIX = ".backup"  # the playbook's host for set NAME is "NAME.backup"
ON_BACKUPS = Policy(lock=BACKUPS)


@dataclass
class BackupVerifyJob(Job):
    inventory: Path
    sets: tuple[str, ...]  # the set names asked for; none: every set
    read_data: bool
    command: str = "backup verify"
    mode: str = "backup"
    policy: Policy = ON_BACKUPS

    def __post_init__(self) -> None:
        self._sets: list[BackupSet] = []
        self._checks: list[BackupCheck] = []

    def prepare(self, catalog: Catalog) -> None:
        hosts = self.inventory_hosts = list_hosts(self.inventory)  # once per run: the alerts read it too
        check_waivers(hosts, {c.id for c in catalog.all()}, f"inventory {self.inventory}")
        self._sets = load_sets(self.inventory, self.sets, hosts)

    def execute(self, ctx: RunContext) -> Execution:
        controls = [c.id for c in ctx.catalog.all() if c.family == FAMILY]
        request = PlaybookRun(
            inventory=self.inventory.resolve(),
            check_mode=True,
            tags=controls,
            extravars={
                "carehard_mode": "backup",
                "carehard_backup_only": [s.name for s in self._sets],
                "carehard_backup_read_data": self.read_data,
                "carehard_backup_canaries": canaries_by_set(History(history_path()), self._sets),
                "carehard_backup_check_parts": check_parts(History(history_path()), self._sets),
            },
            playbook=PLAYBOOK,
        )
        hosts, artifacts = ctx.play(request, controls)
        local = hosts.get("localhost")
        # The other hosts are the production hosts probed for BK-OFF-01: the sets' evidence tells of them.
        hosts = {name: host for name, host in hosts.items() if name.endswith(HOST_SUFFIX)}
        if local is not None and (local.errors or not local.reachable):
            raise RunBroken(
                "the backup sets could not be read: " + ("; ".join(local.errors) or "localhost unreachable")
            )
        if not hosts:
            raise RunBroken(f"no backup set was verified: see {artifacts / 'stdout'}")
        for host in hosts.values():
            host.facts.update(_set_facts(host, self._sets))
        selection = {
            "inventory": inventory_identity(self.inventory),
            "limit": None,
            "only": [],
            "skip": [],
            "sets": [s.name for s in self._sets],
            "read_data": self.read_data,
        }
        return Execution(hosts, artifacts, controls, selection)

    def finish(self, record: RunRecord, history: History) -> None:
        self._checks = [check_of(record.id, record.finished, host) for host in record.hosts.values()]
        history.save_backup_checks(self._checks)

    def report_parts(self, record: RunRecord, history: History) -> dict[str, Any]:
        return {"backups": backup_set_trend(history, record), "trend": run_trend(history, record)}

    def backup_checks(self) -> Sequence[BackupCheck]:
        return self._checks


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
                "read_cycle": backup_set.read_cycle,
            }
    return {}
