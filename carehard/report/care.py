"""The CaRE view: per CaRE domain, the controls that support it, their state across the fleet in
the latest runs, and the date of the last restore test of each application.

A control's state is that of the newest run (of the inventory asked, when one is) in which at least
one host reported a result for it; a control no host ever reported has no run (run_id None): the
CaRE document (carehard.report.care_document) lists it apart as "not covered", never as a failure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from carehard.catalog import Catalog
from carehard.config import validate
from carehard.errors import UsageError
from carehard.history import History
from carehard.model import BackupCheck, HostOutcome, RunRecord

DOMAIN_TITLES = {
    "exposure": "D1 technical directories (Active Directory audit) and internet exposure",
    "continuity": "D2 continuity and recovery strategy",
    "remote_access": "Remote access and remote maintenance",
    "workstations": "Workstations and detection",
}
WINDOWS, LINUX = "windows", "linux"
DIRECTORY = "directory"  # an Active Directory audited from the control node (AD- controls)
BACKUP_FAMILY = "backup_verify"  # its "hosts" are backup sets (<set>.backup), of no platform
BACKUP_MODE = "backup"

# A directory host's facts hold its document under DIRECTORY (carehard.report.directory); its AD-
# controls' results count as passed (GOOD), failed, or other.
DIRECTORY_PREFIX = "AD-"
GOOD = ("pass", "fixed", "waived")


@dataclass
class ControlState:
    id: str
    title: str
    run_id: str | None  # the newest run with a result for it; None: no host ever reported it
    counts: dict[str, int] = field(default_factory=dict)
    run_started: str | None = None
    run_mode: str | None = None

    @property
    def covered(self) -> bool:
        return sum(self.counts.values()) > 0


@dataclass
class DomainEvidence:
    domain: str
    title: str
    controls: list[ControlState] = field(default_factory=list)


@dataclass(frozen=True)
class Objective:
    """A CaRE objective as the establishment's file names it (e.g. D2.01.D), with its controls."""

    id: str
    label: str
    controls: tuple[str, ...]  # IDs or patterns like BK-*


@dataclass
class ObjectiveEvidence:
    id: str
    label: str
    controls: list[ControlState] = field(default_factory=list)


@dataclass(frozen=True)
class RunUsed:
    """A run the evidence draws on: a control's state comes from it, or a restore test."""

    id: str
    mode: str
    started: str
    finished: str
    inventory: str
    hosts: int


@dataclass(frozen=True)
class DirectoryAudit:
    """The newest audit of an Active Directory in the runs looked at: when, which domain, and how many
    of its AD controls passed (pass, fixed, waived), failed, or neither (error, not applicable...)."""

    host: str
    domain: str | None
    read_at: str | None
    run_id: str
    run_started: str
    passed: int
    failed: int
    other: int


@dataclass
class CareEvidence:
    domains: list[DomainEvidence]
    restore_tests: list[BackupCheck]  # the last verification of each backup set
    objectives: list[ObjectiveEvidence] = field(default_factory=list)
    runs: list[RunUsed] = field(default_factory=list)  # newest first
    platforms: frozenset[str] = frozenset()  # of the hosts of the runs looked at: linux, windows, directory
    backup_verified: bool = False  # a backup verification is among the runs looked at
    targets: dict[str, dict[str, str]] = field(default_factory=dict)  # set -> {"rpo": "24h", "rto": "4h"}
    directories: list[DirectoryAudit] = field(default_factory=list)  # the newest audit of each, by host

    def as_dict(self) -> dict[str, Any]:
        return {
            "objectives": [
                {"id": o.id, "label": o.label, "controls": [vars(c) for c in o.controls]}
                for o in self.objectives
            ],
            "domains": [
                {
                    "domain": d.domain,
                    "title": d.title,
                    "controls": [vars(c) for c in d.controls],
                }
                for d in self.domains
            ],
            "restore_tests": [
                {
                    "set": c.backup_set,
                    "checked_at": c.checked_at,
                    "verdict": c.verdict,
                    "snapshot_time": c.snapshot_time,
                    "restore_seconds": c.restore_seconds,
                    "rto_estimate_seconds": c.rto_estimate_seconds,
                }
                for c in self.restore_tests
            ],
        }


def load_objectives(path: Path, catalog: Catalog) -> list[Objective]:
    """The establishment's CaRE objectives: `objectives: [{id, label, controls: [IDs or patterns]}]`."""
    where = f"--objectives {path}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{where}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{where}: not valid YAML ({exc.__class__.__name__})") from None
    validate(data, "objectives", where)
    objectives = []
    for item in data["objectives"]:
        for pattern in item["controls"]:
            if not catalog.matching(pattern):
                raise UsageError(f"{where}: {item['id']}: no control matches '{pattern}'")
        objectives.append(Objective(str(item["id"]), str(item.get("label", "")), tuple(item["controls"])))
    return objectives


def host_platforms(host: HostOutcome, catalog: Catalog) -> set[str]:
    """linux, windows and/or directory: what the host's facts say, else what its results show (a
    result of a Windows-only control is a Windows host's, of an AD- control a directory's). A backup
    set's pseudo-host has none."""
    if host.facts.get(DIRECTORY):
        return {DIRECTORY}
    family = str(host.facts.get("os_family") or "")
    if family:
        return {WINDOWS if family.lower() == WINDOWS else LINUX}
    found: set[str] = set()
    for control_id in host.results:
        control = catalog.controls.get(control_id)
        if control is None or control.family == BACKUP_FAMILY:
            continue
        platforms = set(control.platforms)
        if platforms == {WINDOWS}:
            found.add(WINDOWS)
        elif platforms == {DIRECTORY}:
            found.add(DIRECTORY)
        elif not platforms & {WINDOWS, DIRECTORY}:
            found.add(LINUX)
    return found


def care_evidence(
    history: History,
    catalog: Catalog,
    inventories: frozenset[str] | None = None,
    objectives: list[Objective] | None = None,
) -> CareEvidence:
    """Each control's state in the newest run with a result for it (of an inventory of these names,
    as RunSummary.inventory gives them, when given); the last restore test of each backup set (of
    those runs, when an inventory is given)."""
    latest: dict[str, RunRecord] = {}
    seen: dict[str, RunUsed] = {}
    platforms: set[str] = set()
    targets: dict[tuple[str, str], dict[str, str]] = {}
    audits: dict[str, DirectoryAudit] = {}
    backup_run = False
    for summary in history.runs():
        if inventories is not None and summary.inventory not in inventories:
            continue
        run = history.load(summary.id)
        if run is None:
            continue
        seen[run.id] = RunUsed(run.id, run.mode, run.started, run.finished, summary.inventory, len(run.hosts))
        backup_run = backup_run or run.mode == BACKUP_MODE
        for host in run.hosts.values():
            platforms |= host_platforms(host, catalog)
            for control_id in host.results:
                latest.setdefault(control_id, run)
            if host.name not in audits and isinstance(host.facts.get(DIRECTORY), dict):
                audits[host.name] = directory_audit(run, host)
            if host.facts.get("backup_set"):
                wanted = ("rpo", "rto")
                found = {k: str(host.facts[k]) for k in wanted if host.facts.get(k)}
                targets[(run.id, str(host.facts["backup_set"]))] = found

    def state(control_id: str) -> ControlState:
        run = latest.get(control_id)
        title = catalog[control_id].title
        if run is None:
            return ControlState(control_id, title, None, {})
        counts: Counter[str] = Counter(
            h.results[control_id].status for h in run.hosts.values() if control_id in h.results
        )
        return ControlState(control_id, title, run.id, dict(counts), run.started, run.mode)

    domains = []
    for domain, title in DOMAIN_TITLES.items():
        evidence = DomainEvidence(domain, title)
        for control in catalog.all():
            if domain in control.references.get("care", ()):
                evidence.controls.append(state(control.id))
        domains.append(evidence)
    chosen = []
    for objective in objectives or []:
        ids = sorted({cid for p in objective.controls for cid in catalog.matching(p)})
        chosen.append(ObjectiveEvidence(objective.id, objective.label, [state(cid) for cid in ids]))
    restore_tests = [c for c in history.backup_checks() if inventories is None or c.run_id in seen]
    last: dict[str, BackupCheck] = {}
    for check in restore_tests:  # newest first
        last.setdefault(check.backup_set, check)
    tests = sorted(last.values(), key=lambda c: c.backup_set)
    used = {r.id for r in latest.values()} | {c.run_id for c in tests} | {a.run_id for a in audits.values()}
    return CareEvidence(
        domains,
        tests,
        chosen,
        runs=[seen[run_id] for run_id in seen if run_id in used],
        platforms=frozenset(platforms),
        backup_verified=backup_run or bool(tests),
        targets={c.backup_set: targets.get((c.run_id, c.backup_set), {}) for c in tests},
        directories=[audits[name] for name in sorted(audits)],
    )


def directory_audit(run: RunRecord, host: HostOutcome) -> DirectoryAudit:
    """What the CaRE evidence says of a directory host's audit in a run (its facts hold the document)."""
    document = host.facts[DIRECTORY]
    statuses = [r.status for cid, r in host.results.items() if cid.startswith(DIRECTORY_PREFIX)]
    passed = sum(s in GOOD for s in statuses)
    failed = sum(s == "fail" for s in statuses)
    domain, read_at = document.get("domain"), document.get("read_at")
    return DirectoryAudit(
        host.name,
        str(domain) if isinstance(domain, str) and domain else None,
        str(read_at) if isinstance(read_at, str) and read_at else None,
        run.id,
        run.started,
        passed,
        failed,
        len(statuses) - passed - failed,
    )
