"""The CaRE document (`carehard-care/1`): what an establishment attaches to its CaRE file, built from
carehard.report.care's evidence, and written in any of the report formats (care.json, care.html,
care.csv, care.md, care.junit.xml). See docs/care-evidence.md.

The document is a plain dict (the JSON file is it as it is); every renderer reads only it. A section
(a CaRE domain, or one of the establishment's objectives) lists every control that supports it; its
summary counts only those that ran on at least one host of the runs looked at, and names the others
apart ("not covered by these runs": why, e.g. Windows-only controls and no Windows host), never as
failures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from carehard import __version__
from carehard.catalog import Catalog
from carehard.clock import now_iso
from carehard.durations import parse_duration
from carehard.errors import UsageError
from carehard.model import BackupCheck
from carehard.report import FORMATS, write_rendered
from carehard.report.care import (
    BACKUP_FAMILY,
    DIRECTORY,
    LINUX,
    WINDOWS,
    CareEvidence,
    ControlState,
)

SCHEMA = "carehard-care/1"
FILES = {
    "json": "care.json",
    "html": "care.html",
    "junit": "care.junit.xml",
    "csv": "care.csv",
    "md": "care.md",
}
TABLE = "table"
DEFAULT_FILES = ("json", "html")
DEFAULT_OUTPUT = Path("carehard-report")
GOOD, INCOMPLETE = ("pass", "fixed", "waived"), ("error", "unreachable")
REASON_ORDER = ("backup", "windows", "directory", "linux", "not_run")


def care_formats(value: str | None, output: bool) -> list[str]:
    """What --format asks: [] for the terminal table, else the file formats, in order.

    No --format: the table, or json,html when --output is given. `json` alone without --output
    prints the JSON (as before the document had files)."""
    if value is None:
        return list(DEFAULT_FILES) if output else []
    asked = [f.strip().lower() for f in value.split(",") if f.strip()]
    known = (TABLE, *FORMATS)
    unknown = [f for f in asked if f not in known]
    if unknown or not asked:
        bad = unknown[0] if unknown else value
        raise UsageError(
            f"unknown format '{bad}' in --format: use table, or a comma list of {', '.join(FORMATS)}"
        )
    if TABLE in asked:
        if len(set(asked)) > 1:
            raise UsageError("--format table prints to the terminal: give it alone, or only file formats")
        if output:
            raise UsageError("--format table prints to the terminal: --output needs file formats")
        return []
    return list(dict.fromkeys(asked))


def build_care_document(
    evidence: CareEvidence,
    catalog: Catalog,
    lang: str = "en",
    establishment: dict[str, str] | None = None,
    inventory: str | None = None,
    generated: str | None = None,
) -> dict[str, Any]:
    """The `carehard-care/1` document: header, objectives, domains, last restore tests."""
    taken: dict[str, set[str]] = {}
    states = [c for o in evidence.objectives for c in o.controls]
    states += [c for d in evidence.domains for c in d.controls]
    for state in states:
        if state.run_id is not None:
            taken.setdefault(state.run_id, set()).add(state.id)

    def control(state: ControlState) -> dict[str, Any]:
        return _control(state, catalog, evidence, lang)

    document: dict[str, Any] = {
        "schema": SCHEMA,
        "lang": "fr" if lang == "fr" else "en",
        "generated": generated or now_iso(),
        "carehard_version": __version__,
    }
    if establishment:
        document["establishment"] = dict(establishment)
    document.update(
        {
            "inventory": inventory,
            "inventories": sorted({r.inventory for r in evidence.runs if r.inventory}),
            "platforms": sorted(evidence.platforms),
            "backup_verification": evidence.backup_verified,
            "runs": [{**vars(r), "controls": len(taken.get(r.id, ()))} for r in evidence.runs],
            "objectives": [
                _section({"id": o.id, "label": o.label}, [control(c) for c in o.controls], evidence)
                for o in evidence.objectives
            ],
            "domains": [
                _section(
                    _domain_head(d.domain, d.title, evidence), [control(c) for c in d.controls], evidence
                )
                for d in evidence.domains
            ],
            "restore_tests": [
                _restore_test(c, evidence.targets.get(c.backup_set, {})) for c in evidence.restore_tests
            ],
        }
    )
    return document


# The CaRE domain whose evidence names the Active Directory audits (D1, directories and exposure).
DIRECTORY_DOMAIN = "exposure"


def _domain_head(domain: str, title: str, evidence: CareEvidence) -> dict[str, Any]:
    """A domain's heading; D1's names the Active Directory audits of the runs, when there are."""
    head: dict[str, Any] = {"domain": domain, "title": title}
    if domain == DIRECTORY_DOMAIN and evidence.directories:
        head["directory_audits"] = [vars(a) for a in evidence.directories]
    return head


def _control(state: ControlState, catalog: Catalog, evidence: CareEvidence, lang: str) -> dict[str, Any]:
    spec = catalog[state.id]
    counts = dict(sorted(state.counts.items()))
    good = sum(counts.get(s, 0) for s in GOOD)
    bad = counts.get("fail", 0)
    broken = sum(counts.get(s, 0) for s in INCOMPLETE)
    if not state.covered:
        verdict = "not_covered"
    elif bad:
        verdict = "non_compliant"
    elif broken:
        verdict = "incomplete"
    elif good:
        verdict = "compliant"
    else:
        verdict = "not_applicable"
    return {
        "id": state.id,
        "title": spec.text("title", lang),
        "severity": spec.severity,
        "family": spec.family,
        "platforms": list(spec.platforms),
        "run_id": state.run_id,
        "run_mode": state.run_mode,
        "run_started": state.run_started,
        "counts": counts,
        "pass": good,
        "fail": bad,
        "other": sum(counts.values()) - good - bad,
        "state": verdict,
        "covered": state.covered,
        "not_covered": None if state.covered else _reason(state, catalog, evidence),
    }


def _reason(state: ControlState, catalog: Catalog, evidence: CareEvidence) -> str:
    """Why no host reported the control: backup verification never ran, no host of its platform, or
    none of these runs had it."""
    spec = catalog[state.id]
    platforms = set(spec.platforms)
    if spec.family == BACKUP_FAMILY and not evidence.backup_verified:
        return "backup"
    if platforms == {WINDOWS} and WINDOWS not in evidence.platforms:
        return "windows"
    if platforms == {DIRECTORY}:
        return "not_run" if DIRECTORY in evidence.platforms else "directory"
    if WINDOWS not in platforms and LINUX not in evidence.platforms:
        return "linux"
    return "not_run"


def _section(head: dict[str, Any], controls: list[dict[str, Any]], evidence: CareEvidence) -> dict[str, Any]:
    ran = [c for c in controls if c["covered"]]
    results = {
        "pass": sum(c["pass"] for c in ran),
        "fail": sum(c["fail"] for c in ran),
        "incomplete": sum(sum(c["counts"].get(s, 0) for s in INCOMPLETE) for c in ran),
        "not_applicable": sum(c["counts"].get("not_applicable", 0) for c in ran),
    }
    counted = results["pass"] + results["fail"] + results["incomplete"]
    not_covered: dict[str, list[str]] = {}
    for reason in REASON_ORDER:
        ids = [c["id"] for c in controls if c["not_covered"] == reason]
        if ids:
            not_covered[reason] = ids
    summary = {
        "controls": len(controls),
        "run": len(ran),
        **{key: sum(c["state"] == key for c in ran) for key in _STATE_KEYS},
        "results": results,
        "rate": results["pass"] / counted if counted else None,
        "not_covered": not_covered,
        "backup_note": not evidence.backup_verified and any(c["family"] == BACKUP_FAMILY for c in controls),
    }
    return {**head, "controls": controls, "summary": summary}


_STATE_KEYS = ("compliant", "non_compliant", "incomplete", "not_applicable")


def _restore_test(check: BackupCheck, targets: dict[str, str]) -> dict[str, Any]:
    rto_seconds: int | None = None
    if targets.get("rto"):
        try:
            rto_seconds = parse_duration(targets["rto"], "rto")
        except UsageError:
            rto_seconds = None
    estimate = check.rto_estimate_seconds
    return {
        "set": check.backup_set,
        "run_id": check.run_id,
        "checked_at": check.checked_at,
        "verdict": check.verdict,
        "snapshot_time": check.snapshot_time,
        "snapshot_age_seconds": check.snapshot_age_seconds,
        "restore_seconds": check.restore_seconds,
        "rto_estimate_seconds": estimate,
        "rpo": targets.get("rpo"),
        "rto": targets.get("rto"),
        "rto_seconds": rto_seconds,
        "within_rto": None if estimate is None or rto_seconds is None else bool(estimate <= rto_seconds),
    }


def renderers() -> dict[str, Callable[[dict[str, Any]], str]]:
    from carehard.report.care_html import render_care_html
    from carehard.report.care_text import (
        render_care_csv,
        render_care_json,
        render_care_junit,
        render_care_markdown,
    )

    return {
        "json": render_care_json,
        "html": render_care_html,
        "junit": render_care_junit,
        "csv": render_care_csv,
        "md": render_care_markdown,
    }


def write_care_documents(document: dict[str, Any], out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Render every format first, then write each file atomically: nothing half-written."""
    table = renderers()
    return write_rendered([(FILES[f], table[f](document)) for f in formats], out_dir)
