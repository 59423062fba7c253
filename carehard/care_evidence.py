"""The CaRE view: per CaRE domain, the controls that support it, their state across the fleet in
the latest runs, and the date of the last restore test of each application."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from carehard.catalog import Catalog
from carehard.history import BackupCheck, History, RunRecord

DOMAIN_TITLES = {
    "exposure": "D1 technical directories and internet exposure",
    "continuity": "D2 continuity and recovery strategy",
    "remote_access": "Remote access and remote maintenance",
    "workstations": "Workstations and detection",
}


@dataclass
class ControlState:
    id: str
    title: str
    run_id: str | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class DomainEvidence:
    domain: str
    title: str
    controls: list[ControlState] = field(default_factory=list)


@dataclass
class CareEvidence:
    domains: list[DomainEvidence]
    restore_tests: list[BackupCheck]  # the last verification of each backup set

    def as_dict(self) -> dict[str, Any]:
        return {
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


def care_evidence(history: History, catalog: Catalog, inventory: str | None = None) -> CareEvidence:
    """Each control's state in the newest run that covered it (of that inventory when given)."""
    latest: dict[str, RunRecord] = {}
    for summary in history.runs():
        if inventory is not None and summary.inventory != inventory:
            continue
        run = history.load(summary.id)
        if run is None:
            continue
        for control_id in run.controls:
            latest.setdefault(control_id, run)
    domains = []
    for domain, title in DOMAIN_TITLES.items():
        evidence = DomainEvidence(domain, title)
        for control in catalog.all():
            if domain not in control.references.get("care", ()):
                continue
            run = latest.get(control.id)
            counts: Counter[str] = Counter()
            if run is not None:
                counts.update(
                    h.results[control.id].status for h in run.hosts.values() if control.id in h.results
                )
            evidence.controls.append(
                ControlState(control.id, control.title, run.id if run else None, dict(counts))
            )
        domains.append(evidence)
    restore_tests = history.backup_checks(limit=1)
    return CareEvidence(domains, sorted(restore_tests, key=lambda c: c.backup_set))
