"""Tables for the terminal: the catalog, and the summary of a run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from carehard.catalog import Catalog, Control, load_catalog
from carehard.cli.narrow import clip
from carehard.durations import format_duration
from carehard.model import STATUSES, BackupCheck, RunRecord, RunSummary, WindowRecord
from carehard.report.care import CareEvidence
from carehard.report.diff import RunDiff
from carehard.report.i18n import translator
from carehard.report.labels import STATUS_LABELS

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
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
TERMINAL_FR = {
    "Host": "Hôte",
    "Severity": "Gravité",
    "Control": "Contrôle",
    "Status": "Statut",
    "Evidence": "Preuve",
    "{count} more": "{count} de plus",
    "see the report": "voir le rapport",
}


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
        ("Fix", control.fix or "-"),
        ("ANSSI hygiene", ", ".join(refs.get("anssi_hygiene", ())) or "-"),
        ("ANSSI BP-028", ", ".join(refs.get("anssi_bp028", ())) or "-"),
        ("CIS", ", ".join(refs.get("cis", ())) or "-"),
        ("ANSSI AD checklist", ", ".join(refs.get("anssi_ad", ())) or "-"),
        ("CaRE domain", ", ".join(refs.get("care", ())) or "-"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def run_summary(run: RunRecord, lang: str = "en") -> Table:
    """One row per host: counts per status."""
    _ = words(lang)
    table = Table(title=f"carehard {_(run.mode)} {run.id}", header_style="bold")
    table.add_column(_("Host"))
    for status in STATUSES:
        table.add_column(_(STATUS_LABELS[status]), justify="right", style=STATUS_STYLE[status])
    for host in run.hosts.values():
        counts = dict.fromkeys(STATUSES, 0)
        for r in host.results.values():
            counts[r.status] += 1
        name = host.name if host.reachable else f"{host.name} ({_('unreachable')})"
        table.add_row(name, *(str(counts[s]) or "" for s in STATUSES))
    return table


def findings_table(run: RunRecord, lang: str = "en") -> Table | None:
    """What needs attention: every result that is not pass, fixed or not applicable, the most severe
    first (critical, high, medium, low), then by host."""
    _ = words(lang)
    catalog = load_catalog()
    table = Table(header_style="bold", box=None)
    for column in ("Severity", "Host", "Control", "Status", "Evidence"):
        table.add_column(_(column), overflow="fold")
    rows = sorted(
        (
            (_severity(catalog, r.control), h.name, r.control, r.status, r.evidence)
            for h in run.hosts.values()
            for r in h.results.values()
            if r.status in ("fail", "error", "unreachable", "waived")
        ),
        key=lambda row: (SEVERITY_RANK.get(row[0], len(SEVERITY_RANK)), row[1], row[2]),
    )
    if not rows:
        return None
    for severity, host, control, status, evidence in rows[:MAX_FINDINGS]:
        first = evidence.splitlines()[0] if evidence else ""
        shown = f"[{STATUS_STYLE[status]}]{_(STATUS_LABELS[status])}[/]"
        table.add_row(_(severity) if severity else "-", host, control, shown, clip(first, 160))
    if len(rows) > MAX_FINDINGS:
        more = _("{count} more").format(count=len(rows) - MAX_FINDINGS)
        table.add_row("", "…", more, "", _("see the report"))
    return table


def words(lang: str) -> Callable[[str], str]:
    """The terminal's words in lang: its own headers, then the reports' words (statuses, modes...)."""
    report_words = translator(lang)
    if lang != "fr":
        return report_words
    return lambda text: TERMINAL_FR.get(text) or report_words(text)


def _severity(catalog: Catalog, control: str) -> str:
    return catalog[control].severity if control in catalog else ""


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
            format_duration(c.snapshot_age_seconds, unknown="-"),
            {True: "ok", False: "FAILED", None: "-"}[c.check_ok],
            format_duration(c.restore_seconds, unknown="-"),
            f"{c.throughput / 1048576:.1f} MiB/s" if c.throughput else "-",
            format_duration(c.rto_estimate_seconds, unknown="-"),
        )
    return table


def runs_table(summaries: Iterable[RunSummary]) -> Table:
    table = Table(title="runs", title_justify="left", header_style="bold")
    columns = ("Run", "Mode", "Started", "Inventory", "Exit", "Pass rate", "Fail", "Error", "Unreachable")
    for column in columns:
        table.add_column(column, no_wrap=column in ("Run", "Started"))
    for s in summaries:
        table.add_row(
            s.id,
            s.mode,
            _short(s.started),
            s.inventory,
            str(s.exit_code),
            _rate(s),
            str(s.counts.get("fail", 0)),
            str(s.counts.get("error", 0)),
            str(s.counts.get("unreachable", 0)),
        )
    return table


def runs_lines(summaries: Iterable[RunSummary]) -> Group:
    """The runs on a narrow terminal: two lines each, the id whole (what `report --run` takes)."""
    lines: list[RenderableType] = [Text("runs", style="bold")]
    for s in summaries:
        first = Text(s.id, style="bold")
        first.append(f"  {s.mode}  {_short(s.started)}  exit {s.exit_code}  pass rate {_rate(s)}")
        counts = ", ".join(f"{s.counts.get(k, 0)} {k}" for k in ("fail", "error", "unreachable"))
        second = Text(f"  {counts} · {s.inventory}", style="dim", overflow="fold")
        lines += [first, second]
    return Group(*lines)


def _rate(summary: RunSummary) -> str:
    rate = summary.pass_rate
    return "-" if rate is None else f"{rate * 100:.1f} %"


def diff_table(diff: RunDiff) -> Table:
    table = Table(title=f"{diff.before} -> {diff.after}", title_justify="left", header_style="bold")
    for column in ("Change", "Host", "Control", "Before", "After"):
        table.add_column(column)
    groups = (("regressed", diff.regressed), ("improved", diff.improved), ("changed", diff.changed))
    for kind, changes in groups:
        style = {"regressed": "red", "improved": "green"}.get(kind, "")
        for c in changes:
            table.add_row(f"[{style}]{kind}[/]" if style else kind, c.host, c.control, c.before, c.after)
    for host in diff.hosts_added:
        table.add_row("host added", host, "", "", "")
    for host in diff.hosts_gone:
        table.add_row("host gone", host, "", "", "")
    if not table.row_count:
        table.add_row("no change", "", "", "", "")
    return table


def care_tables(evidence: CareEvidence, lang: str = "en") -> list[Table | Text]:
    """The CaRE document on the terminal: per objective and domain, its summary (only the controls
    that ran count), the controls not covered on one line, a table of the controls that ran; then the
    last restore test per application."""
    from carehard.report.care_document import build_care_document
    from carehard.report.care_text import CONTROL_HEADERS, RESTORE_HEADERS, restore_row, section_heading
    from carehard.report.care_words import BACKUP_NOTE, Words, sections

    w = Words(lang)
    document = build_care_document(evidence, load_catalog(), lang)
    style = {
        "non_compliant": "red",
        "incomplete": "dark_orange",
        "compliant": "green",
        "not_applicable": "dim",
    }
    shown: list[Table | Text] = []
    for kind, section in sections(document):
        summary = section["summary"]
        lines = [" · ".join(f"{label}{w(': ')}{value}" for label, value in w.summary_lines(summary))]
        lines += w.directory_audits(section)
        if summary.get("backup_note"):
            lines.append(w(BACKUP_NOTE))
        missing = w.not_covered(summary)
        if missing:
            lines.append(missing)
        if shown:
            shown.append(Text())
        shown.append(Text(section_heading(w, kind, section), style="bold"))
        shown.append(Text("\n".join(lines)))
        ran = [c for c in section["controls"] if c["covered"]]
        if not ran:
            continue
        table = Table(header_style="bold")
        for column in CONTROL_HEADERS:
            table.add_column(w(column), overflow="fold")
        for c in ran:
            table.add_row(
                Text(c["id"]),
                Text(c["title"]),
                Text(w(c["severity"])),
                Text(w.state(c["state"]), style=style.get(c["state"], "")),
                Text(str(c["pass"])),
                Text(str(c["fail"])),
                Text(str(c["other"])),
                Text(f"{c['run_id']} {w.when(c['run_started'])}"),
            )
        shown.append(table)
    restore = Table(title=w("Last restore test per application"), title_justify="left", header_style="bold")
    for column in RESTORE_HEADERS:
        restore.add_column(w(column), overflow="fold")
    for test in document["restore_tests"]:
        restore.add_row(*(Text(cell) for cell in restore_row(w, test)))
    shown.append(Text())
    if not restore.row_count:
        missing_tests = (
            BACKUP_NOTE if not document["backup_verification"] else "No restore test in these runs."
        )
        shown.append(Text(w("Last restore test per application"), style="bold"))
        shown.append(Text(w(missing_tests)))
    else:
        shown.append(restore)
    return shown


def _support_text(row: Mapping[str, Any]) -> tuple[str, str]:
    status = row.get("support") or "—"
    ends, left = row.get("support_ends"), row.get("support_days_left")
    text = status
    if ends:
        text += f" until {ends}"
    if left is not None:
        text += f" ({left} d)"
    style = {"unsupported": "red", "ending": "yellow", "supported": "green"}.get(str(status), "")
    return text, style


def _short(moment: Any) -> str:
    """'2026-11-25T08:01:00Z' -> '2026-11-25 08:01'."""
    return str(moment)[:16].replace("T", " ") if moment else "—"


def fleet_table(rows: Iterable[Mapping[str, Any]], title: str = "fleet inventory") -> Table:
    """The terminal view: one row per host, problems in colour."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in (
        "Host",
        "OS",
        "Support",
        "Security updates",
        "Exposed",
        "Reachable",
        "Detection",
        "Admins",
        "Encryption",
        "Domain",
        "Time sync",
        "Collected",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        support, support_style = _support_text(row)
        pending = row.get("security_updates_pending")
        updates = Text("—" if pending is None else str(pending), style="yellow" if pending else "")
        if row.get("security_updates"):
            updates.append(": " + ", ".join(row["security_updates"][:5]))
            if len(row["security_updates"]) > 5:
                updates.append(", …")
        if row.get("last_update"):
            updates.append(f"\nlast {str(row['last_update'])[:10]}", style="dim")
        exposed = Text()
        for i, item in enumerate(row.get("exposed_services") or []):
            exposed.append(("\n" if i else "") + item, style="" if item.endswith("[allowed]") else "red")
        reachable = Text("—" if not row.get("reachable_from") else f"from {row['reachable_from']}: ")
        if row.get("reachable_from"):
            ports = row.get("reachable_ports") or []
            reachable.append(", ".join(ports) or "none", style="red" if ports else "green")
        agents = ", ".join(row.get("detection") or [])
        ok = row.get("detection_ok")
        detection = Text(agents or ("none" if ok is False else "—"), style="red" if ok is False else "")
        admins = Text()
        undeclared = set(row.get("undeclared_admins") or [])
        for i, name in enumerate(row.get("admins") or []):
            admins.append(", " if i else "")
            admins.append(
                f"{name} (undeclared)" if name in undeclared else name, "red" if name in undeclared else ""
            )
        for name in sorted(undeclared - set(row.get("admins") or [])):
            admins.append((", " if admins.plain else "") + f"{name} (undeclared)", "red")
        table.add_row(
            Text(str(row.get("host"))),
            Text(str(row.get("os") or "—")),
            Text(support, style=support_style),
            updates,
            exposed if exposed.plain else Text("—"),
            reachable,
            detection,
            admins if admins.plain else Text("—"),
            Text(
                str(row.get("disk_encryption") or "—"),
                style="red" if row.get("disk_encryption") == "no" else "",
            ),
            Text(str(row.get("domain") or "—")),
            Text(str(row.get("time_sync") or "—")),
            Text(f"{_short(row.get('collected_at'))}\n{row.get('run_id') or ''}".strip(), style="dim"),
        )
    return table
