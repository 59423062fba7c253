"""Tables for the terminal: the catalog, and the summary of a run."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table

from carehard.catalog import Control
from carehard.history import BackupCheck, RunRecord, WindowRecord
from carehard.results import STATUSES

STATUS_STYLE = {
    "pass": "green",
    "fixed": "blue",
    "fail": "red",
    "error": "dark_orange",
    "waived": "magenta",
    "not_applicable": "dim",
    "unreachable": "bold red",
}
MAX_FINDINGS = 40


def controls_table(controls: Iterable[Control]) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("ID", "Level", "Severity", "Remediation", "Title"):
        table.add_column(column)
    for c in controls:
        table.add_row(c.id, str(c.level), c.severity, c.remediation, c.title)
    return table


def control_detail(control: Control) -> Table:
    table = Table(box=None, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    refs = control.references
    rows = [
        ("ID", control.id),
        ("Title", control.title),
        ("Family", control.family),
        ("Platforms", ", ".join(control.platforms)),
        ("Severity", control.severity),
        ("Level", str(control.level)),
        ("Remediation", control.remediation),
        ("Rationale", control.rationale),
        ("ANSSI hygiene", ", ".join(refs.get("anssi_hygiene", ())) or "-"),
        ("ANSSI BP-028", ", ".join(refs.get("anssi_bp028", ())) or "-"),
        ("CIS", ", ".join(refs.get("cis", ())) or "-"),
        ("CaRE domain", ", ".join(refs.get("care", ())) or "-"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def run_summary(run: RunRecord) -> Table:
    """One row per host: counts per status."""
    table = Table(title=f"carehard {run.mode} {run.id}", header_style="bold")
    table.add_column("Host")
    for status in STATUSES:
        table.add_column(status, justify="right", style=STATUS_STYLE[status])
    for host in run.hosts.values():
        counts = dict.fromkeys(STATUSES, 0)
        for r in host.results.values():
            counts[r.status] += 1
        name = host.name if host.reachable else f"{host.name} (unreachable)"
        table.add_row(name, *(str(counts[s]) or "" for s in STATUSES))
    return table


def findings_table(run: RunRecord) -> Table | None:
    """What needs attention: every result that is not pass, fixed or not applicable."""
    table = Table(header_style="bold", box=None)
    for column in ("Host", "Control", "Status", "Evidence"):
        table.add_column(column, overflow="fold")
    rows = [
        (h.name, r.control, r.status, r.evidence.splitlines()[0] if r.evidence else "")
        for h in run.hosts.values()
        for r in h.results.values()
        if r.status in ("fail", "error", "unreachable", "waived")
    ]
    if not rows:
        return None
    for host, control, status, evidence in rows[:MAX_FINDINGS]:
        table.add_row(host, control, f"[{STATUS_STYLE[status]}]{status}[/]", evidence[:160])
    if len(rows) > MAX_FINDINGS:
        table.add_row("…", f"{len(rows) - MAX_FINDINGS} more", "", "see the report")
    return table


def windows_table(windows: Iterable[WindowRecord], now: str) -> Table:
    table = Table(title="vendor windows", title_justify="left")
    for column in ("Vendor", "Host", "State", "Until", "Left", "Opened by", "Opened", "Reason", "Closed"):
        table.add_column(column)
    for w in windows:
        state = w.state(now)
        closed = f"{w.closed_at} by {w.closed_by}" if w.closed_at else ""
        table.add_row(
            w.vendor,
            w.host,
            state,
            w.ends_at,
            _time_left(now, w.ends_at) if state == "open" else "",
            w.opened_by,
            w.opened_at,
            w.reason,
            closed,
        )
    return table


def _time_left(now: str, end: str) -> str:
    from datetime import datetime

    seconds = int((datetime.fromisoformat(end) - datetime.fromisoformat(now)).total_seconds())
    hours, rest = divmod(max(seconds, 0), 3600)
    return f"{hours}h{rest // 60:02d}m"


def backup_checks_table(checks: Iterable[BackupCheck], title: str = "backup verifications") -> Table:
    """One row per verification of a set: the measured RPO and RTO night after night."""
    table = Table(title=title, title_justify="left", header_style="bold")
    columns = (
        "Set",
        "Checked",
        "Verdict",
        "Snapshot",
        "Age",
        "Check",
        "Restore",
        "Throughput",
        "Full restore",
    )
    for column in columns:
        table.add_column(column)
    for c in checks:
        style = STATUS_STYLE.get(c.verdict, "")
        table.add_row(
            c.backup_set,
            c.checked_at.replace("+00:00", "Z"),
            f"[{style}]{c.verdict}[/]" if style else c.verdict,
            c.snapshot_time or "-",
            _span(c.snapshot_age_seconds),
            {True: "ok", False: "FAILED", None: "-"}[c.check_ok],
            f"{c.restore_seconds:.2f} s" if c.restore_seconds is not None else "-",
            f"{c.throughput / 1048576:.1f} MiB/s" if c.throughput else "-",
            _span(c.rto_estimate_seconds),
        )
    return table


def _span(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
