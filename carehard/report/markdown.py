"""Markdown summary of a ``carehard-report/1`` report dict, to paste in a ticket or an e-mail.

It stays short whatever the fleet size (about 60 lines at most): the run, the compliance rate
and counts by status, a table of hosts (the ten with the most problems when there are more),
the top problems (at most 20 lines: unreachable hosts and host errors first, then failures and
errors by severity) and, for a backup run, the latest verification of each set in place of the
hosts table (the hosts of a backup run are its sets). The whole story is in the JSON and HTML
reports.

Every value from the report is escaped (``|``, backticks and the other Markdown specials), cut
to its first line and shortened, so evidence from a host cannot break the tables or inject
links or HTML.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any

from carehard.durations import format_duration
from carehard.report.csv_report import host_results
from carehard.report.labels import (
    EXIT_CODES,
    LEVEL_LABELS,
    STATUS_LABELS,
    STATUSES,
    parts_summary,
    pass_rate,
    percent,
)

MAX_HOSTS = 10
MAX_PROBLEMS = 20
MAX_SETS = 8
WHO = (("finess", "FINESS"), ("site", "site"), ("author", "author"), ("contact", "contact"))
_CELL_MAX = 100
_TITLE_MAX = 80

_PROBLEMS = ("fail", "error", "unreachable")
_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_SPECIALS = re.compile(r"([\\`*_\[\]<>|~&])")
_WORD = re.compile(r"[^\W_]")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_RTO = re.compile(r"\bRTO (\S+)\s*$")
_SHORT = {"not_applicable": "n/a", "unreachable": "unreach."}


def _text(value: Any, limit: int = _CELL_MAX) -> str:
    """One escaped line: the first non-blank line of ``value``, shortened to ``limit`` characters."""
    raw = "" if value is None else str(value)
    line = next((s.strip() for s in raw.splitlines() if s.strip()), "")
    line = _CONTROL_CHARS.sub("", line)
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return _SPECIALS.sub(lambda m: _escape(m, line), line)


def _escape(match: re.Match[str], line: str) -> str:
    char, at = match.group(1), match.start()
    # An underscore inside a word never starts or ends emphasis: keep "kptr_restrict" readable.
    if char == "_" and 0 < at < len(line) - 1 and _WORD.match(line[at - 1]) and _WORD.match(line[at + 1]):
        return char
    return "\\" + char


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _when(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return _text(value, 40)
    offset = moment.utcoffset()
    zone = "UTC" if offset is not None and not offset else moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}".strip()


def _header(report: dict[str, Any]) -> list[str]:
    run: dict[str, Any] = report.get("run") or {}
    started, finished = _when(run.get("started")), "not finished"
    if run.get("finished"):
        finished = _when(run["finished"])
        if finished[:11] == started[:11] and finished[19:] == started[19:]:
            finished = finished[11:]  # same day: the time is enough
    title = (
        f"# carehard {_text(run.get('mode'), 20)} — run {_text(run.get('id'), 60)} — {started} → {finished}"
    )
    level = run.get("level")
    exit_code = run.get("exit_code")
    meta = [f"level {_text(level)} ({LEVEL_LABELS.get(level, '')})" if isinstance(level, int) else ""]
    meta.append(f"carehard {_text(run.get('carehard_version'), 20)}")
    inventory = (run.get("selection") or {}).get("inventory")
    if inventory:
        meta.append(f"inventory {_text(inventory, 60)}")
    if isinstance(exit_code, int):
        meta.append(f"exit code {exit_code}: {EXIT_CODES.get(exit_code, '')}".rstrip(": "))
    lines = [title, "", " · ".join(m for m in meta if m)]
    who = report.get("establishment") or {}
    if who.get("name"):
        parts = [f"**{_text(who['name'], 120)}**"]
        parts += [f"{label} {_text(who[key], 120)}" for key, label in WHO if who.get(key)]
        lines += ["", " · ".join(parts)]
    return lines


def _summary(report: dict[str, Any], hosts: list[dict[str, Any]]) -> list[str]:
    summary = {s: int((report.get("summary") or {}).get(s, 0)) for s in STATUSES}
    counts = " · ".join(f"{summary[s]} {STATUS_LABELS[s]}" for s in STATUSES)
    down = sum(1 for h in hosts if not h["reachable"])
    controls = _count(len(report.get("controls") or []), "control")
    return [
        f"- **Compliance: {percent(pass_rate(summary))}** (pass + fixed + waived, over every result"
        " but not applicable)",
        f"- Results: {counts}",
        f"- {_count(len(hosts), 'host')} ({down} unreachable), {controls}",
    ]


def _host_rows(report: dict[str, Any], control_ids: list[str]) -> list[dict[str, Any]]:
    rows = []
    for host in report.get("hosts") or []:
        counts = Counter(r["status"] for r in host_results(host, control_ids))
        rows.append(
            {
                "name": str(host.get("name", "?")),
                "reachable": bool(host.get("reachable", True)),
                "counts": counts,
                "problems": sum(counts[s] for s in _PROBLEMS) + len(host.get("errors") or []),
            }
        )
    return rows


def _hosts_table(rows: list[dict[str, Any]]) -> list[str]:
    shown, rest = rows, []
    heading = "## Hosts"
    if len(rows) > MAX_HOSTS:
        ranked = sorted(rows, key=lambda r: -int(r["problems"]))
        shown, rest = ranked[:MAX_HOSTS], ranked[MAX_HOSTS:]
        heading = f"## Hosts ({MAX_HOSTS} of {len(rows)}, most problems first)"
    columns = ("host", "compliance", *(_SHORT.get(s, s) for s in STATUSES))
    lines = [heading, "", "| " + " | ".join(columns) + " |", "|---|---|" + "---:|" * len(STATUSES)]
    for row in shown:
        name = _text(row["name"], 60) + ("" if row["reachable"] else " (unreachable)")
        cells = [name, percent(pass_rate(row["counts"])), *(str(row["counts"][s]) for s in STATUSES)]
        lines.append("| " + " | ".join(cells) + " |")
    if rest:
        troubled = sum(1 for r in rest if r["problems"])
        lines.append(f"\n… and {_count(len(rest), 'more host')} ({troubled} with problems)")
    return lines


def _problems(report: dict[str, Any], control_ids: list[str]) -> list[str]:
    by_id = {str(c.get("id")): c for c in report.get("controls") or []}
    hosts: list[dict[str, Any]] = report.get("hosts") or []
    first: list[str] = []  # unreachable hosts, then host errors
    ranked: list[tuple[int, int, int, str]] = []
    for index, host in enumerate(hosts):
        name = _text(host.get("name", "?"), 60)
        errors = [str(e) for e in host.get("errors") or []]
        unreachable: list[str] = []
        for result in host_results(host, control_ids):
            status = result["status"]
            if status == "unreachable":
                unreachable.append(result["evidence"])
            elif status in ("fail", "error"):
                ctl = by_id.get(result["control"]) or {}
                line = (
                    f"- **{status}** {name} · {_text(result['control'], 30)} · "
                    f"{_text(ctl.get('title', ''), _TITLE_MAX)} · {_text(result['evidence'])}"
                ).rstrip(" ·")
                severity = _SEVERITY_RANK.get(str(ctl.get("severity")), 4)
                ranked.append((severity, _PROBLEMS.index(status), index, line))
        if unreachable:
            evidence = next((e for e in unreachable if e), "") or "\n".join(errors)
            line = f"- **unreachable** {name} · {_count(len(unreachable), 'control')} not checked"
            first.append(f"{line} · {_text(evidence)}" if evidence.strip() else line)
        elif errors:
            first.extend(f"- **host error** {name} · {_text(e)}" for e in errors)
    lines = first + [line for *_, line in sorted(ranked)]
    if not lines:
        return ["## Problems", "", "None: every result is pass, fixed, waived or not applicable."]
    out = ["## Problems", "", *lines[:MAX_PROBLEMS]]
    if len(lines) > MAX_PROBLEMS:
        out.append(f"- … and {len(lines) - MAX_PROBLEMS} more")
    return out


def _rto(report: dict[str, Any], set_name: str) -> str:
    """The set's BK-RTO-01 outcome: its RTO target (from the evidence) and whether the estimate fits."""
    for host in report.get("hosts") or []:
        if host.get("name") != f"{set_name}.backup":
            continue
        for result in host.get("results") or []:
            if result.get("control") != "BK-RTO-01":
                continue
            match = _RTO.search(str(result.get("evidence") or ""))
            target = f"RTO {_text(match.group(1), 20)}" if match else "RTO"
            verdict = {"pass": "within", "fail": "beyond"}.get(str(result.get("status")))
            return f"{verdict} {target}" if verdict else f"{target}: {_text(result.get('status'), 20)}"
    return "—"


def _backups(report: dict[str, Any]) -> list[str]:
    sets: list[dict[str, Any]] = report.get("backups") or []
    if not sets:
        return []
    lines = [
        "## Backups (latest verification of each set)",
        "",
        "| set | checked | verdict | snapshot age | test restore | full restore estimate | vs RTO |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    if len(sets) > MAX_SETS:
        # Sets whose latest verification did not pass first.
        sets = sorted(sets, key=lambda e: (e.get("checks") or [{}])[0].get("verdict") == "pass")
    for entry in sets[:MAX_SETS]:
        checks = entry.get("checks") or [{}]
        last = checks[0]
        cells = [
            _text(entry.get("set"), 40),
            _when(last["checked_at"]) if last.get("checked_at") else "—",
            _text(last.get("verdict") or "—", 20),
            format_duration(last.get("snapshot_age_seconds")),
            format_duration(last.get("restore_seconds")),
            format_duration(last.get("rto_estimate_seconds")),
            _rto(report, str(entry.get("set"))),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(sets) > MAX_SETS:
        lines.append(f"\n… and {_count(len(sets) - MAX_SETS, 'more set')}")
    read = [text for entry in sets[:MAX_SETS] if (text := parts_summary(entry))]
    if read:
        lines += ["", *(f"- {_text(text, 300)}" for text in read)]
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    """Render a ``carehard-report/1`` dict as a short Markdown summary (about 60 lines at most)."""
    control_ids = [str(c.get("id")) for c in report.get("controls") or []]
    rows = _host_rows(report, control_ids)
    sections = [
        _header(report),
        _summary(report, rows),
        # A backup run's hosts are its sets: the backups table tells more about them.
        _hosts_table(rows) if rows and not report.get("backups") else [],
        _problems(report, control_ids),
        _backups(report),
    ]
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"
