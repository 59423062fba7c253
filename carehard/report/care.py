"""The CaRE view: per CaRE domain, the controls that support it, their state across the fleet in
the latest runs, and the date of the last restore test of each application."""

from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from carehard.catalog import Catalog
from carehard.config import validate
from carehard.errors import UsageError
from carehard.history import History
from carehard.model import BackupCheck, RunRecord

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


@dataclass
class CareEvidence:
    domains: list[DomainEvidence]
    restore_tests: list[BackupCheck]  # the last verification of each backup set
    objectives: list[ObjectiveEvidence] = field(default_factory=list)

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
            if not fnmatch.filter(catalog.controls, pattern):
                raise UsageError(f"{where}: {item['id']}: no control matches '{pattern}'")
        objectives.append(Objective(str(item["id"]), str(item.get("label", "")), tuple(item["controls"])))
    return objectives


def care_evidence(
    history: History,
    catalog: Catalog,
    inventories: frozenset[str] | None = None,
    objectives: list[Objective] | None = None,
) -> CareEvidence:
    """Each control's state in the newest run that covered it (of an inventory of these names,
    as RunSummary.inventory gives them, when given)."""
    latest: dict[str, RunRecord] = {}
    for summary in history.runs():
        if inventories is not None and summary.inventory not in inventories:
            continue
        run = history.load(summary.id)
        if run is None:
            continue
        for control_id in run.controls:
            latest.setdefault(control_id, run)

    def state(control_id: str) -> ControlState:
        run = latest.get(control_id)
        counts: Counter[str] = Counter()
        if run is not None:
            counts.update(h.results[control_id].status for h in run.hosts.values() if control_id in h.results)
        return ControlState(control_id, catalog[control_id].title, run.id if run else None, dict(counts))

    domains = []
    for domain, title in DOMAIN_TITLES.items():
        evidence = DomainEvidence(domain, title)
        for control in catalog.all():
            if domain in control.references.get("care", ()):
                evidence.controls.append(state(control.id))
        domains.append(evidence)
    chosen = []
    for objective in objectives or []:
        ids = sorted({cid for p in objective.controls for cid in fnmatch.filter(catalog.controls, p)})
        chosen.append(ObjectiveEvidence(objective.id, objective.label, [state(cid) for cid in ids]))
    restore_tests = history.backup_checks(limit=1)
    return CareEvidence(domains, sorted(restore_tests, key=lambda c: c.backup_set), chosen)
