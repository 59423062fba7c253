"""Report renderers. Every report renders from a history record and the catalog, never from a live run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from carehard.backup_parts import last_read
from carehard.catalog import Catalog
from carehard.errors import UsageError
from carehard.files import write_atomic
from carehard.model import BackupCheck, RunRecord, count_statuses
from carehard.report.directory import directory_entries

SCHEMA = "carehard-report/1"
Renderer = Callable[[dict[str, Any]], str]


def renderers() -> dict[str, tuple[str, Renderer]]:
    """Format name -> (file name, renderer)."""
    from carehard.report.csv_report import render_csv
    from carehard.report.html import render_html
    from carehard.report.json import render_json
    from carehard.report.junit import render_junit
    from carehard.report.markdown import render_markdown

    return {
        "json": ("report.json", render_json),
        "html": ("report.html", render_html),
        "junit": ("report.junit.xml", render_junit),
        "csv": ("report.csv", render_csv),
        "md": ("report.md", render_markdown),
    }


FORMATS = ("json", "html", "junit", "csv", "md")


def warm_up(formats: Sequence[str]) -> None:
    """Import the renderers and compile their templates, so writing the reports costs no more."""
    renderers()
    if "html" in formats:
        from carehard.report.html import prepare

        prepare()


def parse_formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        bad = unknown[0] if unknown else value
        raise UsageError(
            f"unknown report format '{bad}' in --format: use a comma list of {', '.join(FORMATS)}"
        )
    return list(dict.fromkeys(formats))


def build_report(
    run: RunRecord,
    catalog: Catalog,
    backups: Sequence[BackupCheck] | None = None,
    trend: Sequence[dict[str, Any]] | None = None,
    fleet: Sequence[dict[str, Any]] | None = None,
    exposure: dict[str, Any] | None = None,
    establishment: dict[str, str] | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """The `carehard-report/1` document of one run; with `backups`, the sets' trend from the history;
    with `fleet` and `exposure` (carehard.fleet.report_extras), the inventory rows and exposure map;
    with `establishment` (carehard.establishment), whom the report is about. The directories audited
    in the run (their hosts' facts["directory"]) are its `directories` (carehard.report.directory)."""

    controls = []
    for cid in run.controls:
        if cid in catalog:
            controls.append(catalog[cid].as_dict(lang))
        else:
            controls.append(_unknown_control(cid))
    hosts = [
        {
            "name": host.name,
            "reachable": host.reachable,
            "facts": {key: host.facts.get(key) for key in HOST_FACTS},
            "errors": list(host.errors),
            "waivers": [
                {"control": w["id"], "reason": w["reason"], "expiry": w["expiry"], "active": w["active"]}
                for w in host.waivers
            ],
            "results": [
                {"control": r.control, "status": r.status, "evidence": r.evidence}
                for r in host.results.values()
            ],
        }
        for host in run.hosts.values()
    ]
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "run": {
            "id": run.id,
            "mode": run.mode,
            "started": run.started,
            "finished": run.finished,
            "carehard_version": run.carehard_version,
            "level": run.level,
            "selection": run.selection,
            "exit_code": run.exit_code,
        },
        "controls": controls,
        "hosts": hosts,
        "summary": count_statuses(run.hosts.values()),
    }
    if lang != "en":
        report["lang"] = lang
    if establishment:
        report["establishment"] = dict(establishment)
    if backups:
        report["backups"] = backup_trend(backups, run)
    if trend:
        report["trend"] = list(trend)
    if fleet:
        report["fleet"] = [dict(row) for row in fleet]
    if exposure and exposure.get("hosts") and exposure.get("ports"):
        report["exposure"] = dict(exposure)
    directories = directory_entries(run.hosts.values())
    if directories:
        report["directories"] = directories
    return report


HOST_FACTS = ("os", "os_version", "kernel", "virtualization", "address")
TREND_KEYS = (
    "checked_at",
    "run_id",
    "verdict",
    "snapshot_time",
    "snapshot_age_seconds",
    "check_ok",
    "restore_seconds",
    "restore_bytes",
    "throughput",
    "rto_estimate_seconds",
)


def backup_trend(checks: Sequence[BackupCheck], run: RunRecord | None = None) -> list[dict[str, Any]]:
    """Per set, its targets (RPO, RTO) and its verifications newest first: the measured RPO and RTO;
    for a set with a read cycle, when each part of its data packs was last read."""
    sets: dict[str, list[BackupCheck]] = {}
    for check in checks:
        sets.setdefault(check.backup_set, []).append(check)
    entries = []
    for name, own in sorted(sets.items()):
        rows = [{**{key: getattr(c, key) for key in TREND_KEYS}, "check_part": _check_part(c)} for c in own]
        entry: dict[str, Any] = {"set": name, "checks": rows}
        host = run.hosts.get(f"{name}.backup") if run else None
        for target in ("rpo", "rto"):
            if host is not None and host.facts.get(target):
                entry[target] = str(host.facts[target])
        cycle = host.facts.get("read_cycle") if host is not None else None
        if isinstance(cycle, int) and cycle > 0:
            entry["read_cycle"] = cycle
            entry["parts_last_read"] = last_read(own, cycle)
        entries.append(entry)
    return entries


def _check_part(check: BackupCheck) -> str | None:
    part = (check.measures.get("primary") or {}).get("check_part")
    return str(part) if part else None


def write_reports(report: dict[str, Any], out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Render every format first, then write each file atomically: nothing half-written."""
    table = renderers()
    return write_rendered([(table[f][0], table[f][1](report)) for f in formats], out_dir)


def write_rendered(rendered: Sequence[tuple[str, str]], out_dir: Path) -> list[Path]:
    """Write (file name, text) pairs already rendered into out_dir, each file atomically."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create report directory {out_dir}: {exc.strerror}") from None
    written = []
    for name, text in rendered:
        target = out_dir / name
        try:
            write_atomic(target, text)
        except OSError as exc:
            raise UsageError(f"cannot write {target}: {exc.strerror}") from None
        written.append(target)
    return written


def _unknown_control(cid: str) -> dict[str, Any]:
    return {
        "id": cid,
        "title": "(no longer in the catalog)",
        "family": "unknown",
        "platforms": [],
        "severity": "low",
        "level": 1,
        "remediation": "audit-only",
        "rationale": "",
        "references": {"anssi_hygiene": [], "anssi_bp028": [], "cis": [], "anssi_ad": [], "care": []},
    }
