"""Markdown summary of a ``carehard-report/1`` report dict, to paste in a ticket or an e-mail.

It stays short whatever the fleet size (about 60 lines at most): the run, the compliance rate
and counts by status, a table of hosts (the ten with the most problems when there are more),
the top problems (at most 20 lines: unreachable hosts and host errors first, then failures and
errors by severity) and, for a backup run, the latest verification of each set in place of the
hosts table (the hosts of a backup run are its sets), and for each Active Directory audited in the
run (three at most) a few lines: its AD controls, krbtgt, policy, LAPS and its riskiest privileged
accounts. The whole story is in the JSON and HTML reports.

Every value from the report is escaped (``|``, backticks and the other Markdown specials), cut
to its first line and shortened, so evidence from a host cannot break the tables or inject
links or HTML.

The summary is in the report's language (report["lang"]: en, or fr): its own words go through `_`
(carehard.report.i18n; French words in i18n/markdown_fr and i18n/labels_fr), as sentence patterns
with their numbers; French numbers take a decimal comma, French dates are "25 nov. 2026 17:15 UTC".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from carehard.durations import format_duration
from carehard.report.csv_report import host_results
from carehard.report.i18n import labels_fr, lang_of, translator
from carehard.report.i18n.formats import integer, moment, percent_text
from carehard.report.labels import (
    EXIT_CODES,
    LEVEL_LABELS,
    STATUS_LABELS,
    STATUSES,
    parts_summary,
    pass_rate,
    percent,
)
from carehard.report.markdown_directory import directory_lines

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
_NBSP = "\u00a0"


class _Words:
    """The summary's words and numbers in the report's language."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.lang = lang_of(report)
        self.french = self.lang == "fr"
        self._: Callable[[str], str] = translator(self.lang)

    def number(self, n: int) -> str:
        return integer(n, "fr") if self.french else str(n)

    def count(self, n: int, singular: str, plural: str) -> str:
        """count(3, "{n} host", "{n} hosts"): French takes the singular for 0 and 1, English for 1."""
        one = n <= 1 if self.french else n == 1
        return self._(singular if one else plural).format(n=self.number(n))

    def status(self, status: str, n: int = 1) -> str:
        """A status label ("non conforme"), agreed with a count in French ("3 non conformes")."""
        label = self._(STATUS_LABELS.get(status, status))
        return labels_fr.plural(label, n) if self.french else label

    def rate(self, counts: dict[str, int] | Counter[str]) -> str:
        return percent_text(percent(pass_rate(dict(counts))), self.lang)

    def duration(self, seconds: float | None) -> str:
        """format_duration() in the report's language: 45,2 s, 38 min, 55,6 h, 2,3 j in French."""
        text = format_duration(seconds)
        if not self.french:
            return text
        return text.replace(".", ",").replace(" d", " j").replace(" ", _NBSP)

    def when(self, value: Any) -> str:
        if self.french and value is not None:
            return _text(moment(value, "fr"), 40)
        return _when(value)


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


def _when(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return _text(value, 40)
    offset = moment.utcoffset()
    zone = "UTC" if offset is not None and not offset else moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}".strip()


def _span(run: dict[str, Any], w: _Words) -> tuple[str, str]:
    """When the run started and finished; the finish is its time alone when it is the same day."""
    started, finished = w.when(run.get("started")), w._("not finished")
    if not run.get("finished"):
        return started, finished
    finished = w.when(run["finished"])
    if not w.french:
        if finished[:11] == started[:11] and finished[19:] == started[19:]:
            finished = finished[11:]  # same day: the time is enough
        return started, finished
    try:
        begin = datetime.fromisoformat(str(run.get("started")).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(run["finished"]).replace("Z", "+00:00"))
    except ValueError:
        return started, finished
    if begin.date() == end.date() and begin.utcoffset() == end.utcoffset():
        finished = finished.split(" ", 3)[3]  # "25 nov. 2026 17:15 UTC": the time and zone
    return started, finished


def _header(report: dict[str, Any], w: _Words) -> list[str]:
    _ = w._
    run: dict[str, Any] = report.get("run") or {}
    started, finished = _span(run, w)
    mode = run.get("mode")
    title = _("# carehard {mode} — run {id} — {started} → {finished}").format(
        mode=_text(_(mode) if isinstance(mode, str) else mode, 20),
        id=_text(run.get("id"), 60),
        started=started,
        finished=finished,
    )
    level = run.get("level")
    exit_code = run.get("exit_code")
    meta = [
        _("level {level} ({label})").format(level=_text(level), label=_(LEVEL_LABELS.get(level, "")))
        if isinstance(level, int)
        else ""
    ]
    meta.append(f"carehard {_text(run.get('carehard_version'), 20)}")
    inventory = (run.get("selection") or {}).get("inventory")
    if inventory:
        meta.append(_("inventory {path}").format(path=_text(inventory, 60)))
    if isinstance(exit_code, int):
        meaning = _(EXIT_CODES.get(exit_code, ""))
        meta.append(
            _("exit code {code}: {meaning}").format(code=exit_code, meaning=meaning).rstrip(": " + _NBSP)
        )
    lines = [title, "", " · ".join(m for m in meta if m)]
    who = report.get("establishment") or {}
    if who.get("name"):
        parts = [f"**{_text(who['name'], 120)}**"]
        parts += [
            _(f"{label} {{value}}").format(value=_text(who[key], 120)) for key, label in WHO if who.get(key)
        ]
        lines += ["", " · ".join(parts)]
    return lines


def _summary(report: dict[str, Any], hosts: list[dict[str, Any]], w: _Words) -> list[str]:
    _ = w._
    summary = {s: int((report.get("summary") or {}).get(s, 0)) for s in STATUSES}
    counts = " · ".join(f"{w.number(summary[s])} {w.status(s, summary[s])}" for s in STATUSES)
    down = sum(1 for h in hosts if not h["reachable"])
    fleet = _("{hosts} ({down} unreachable), {controls}").format(
        hosts=w.count(len(hosts), "{n} host", "{n} hosts"),
        down=w.number(down),
        unreachable=w.status("unreachable", down),
        controls=w.count(len(report.get("controls") or []), "{n} control", "{n} controls"),
    )
    lines = [
        "- "
        + _("**Compliance: {rate}** (pass + fixed + waived, over every result but not applicable)").format(
            rate=w.rate(summary)
        ),
        "- " + _("Results: {counts}").format(counts=counts),
    ]
    severities = _problems_by_severity(report)
    if severities:
        colon = "\u00a0: " if w.french else ": "
        shown = " · ".join(f"{_(name)}{colon}{w.number(n)}" for name, n in severities.items())
        lines.append("- " + _("Problems by severity: {counts}").format(counts=shown))
    return [*lines, f"- {fleet}"]


def _problems_by_severity(report: dict[str, Any]) -> dict[str, int]:
    """How many fail, error and unreachable results each severity has (none: {})."""
    severity = {str(c.get("id")): str(c.get("severity")) for c in report.get("controls") or []}
    found = Counter(
        severity.get(str(r.get("control")), "")
        for host in report.get("hosts") or []
        for r in host.get("results") or []
        if r.get("status") in _PROBLEMS
    )
    if not found:
        return {}
    return {name: found.get(name, 0) for name in _SEVERITY_RANK}


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


def _hosts_table(rows: list[dict[str, Any]], w: _Words) -> list[str]:
    _ = w._
    shown, rest = rows, []
    heading = _("## Hosts")
    if len(rows) > MAX_HOSTS:
        ranked = sorted(rows, key=lambda r: -int(r["problems"]))
        shown, rest = ranked[:MAX_HOSTS], ranked[MAX_HOSTS:]
        heading = _("## Hosts ({shown} of {total}, most problems first)").format(
            shown=w.number(MAX_HOSTS), total=w.number(len(rows))
        )
    columns = ("host", "compliance", *(_SHORT.get(s, s) for s in STATUSES))
    lines = [heading, "", _("| " + " | ".join(columns) + " |"), "|---|---|" + "---:|" * len(STATUSES)]
    for row in shown:
        name = _text(row["name"], 60)
        if not row["reachable"]:
            name = _("{name} (unreachable)").format(name=name)
        cells = [name, w.rate(row["counts"]), *(w.number(row["counts"][s]) for s in STATUSES)]
        lines.append("| " + " | ".join(cells) + " |")
    if rest:
        troubled = sum(1 for r in rest if r["problems"])
        more = w.count(len(rest), "{n} more host", "{n} more hosts")
        lines.append(
            "\n" + _("… and {more} ({troubled} with problems)").format(more=more, troubled=w.number(troubled))
        )
    return lines


def _problems(report: dict[str, Any], control_ids: list[str], w: _Words) -> list[str]:
    _ = w._
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
                    f"- **{w.status(status)}** {name} · {_text(result['control'], 30)} · "
                    f"{_text(ctl.get('title', ''), _TITLE_MAX)} · {_text(result['evidence'])}"
                ).rstrip(" ·")
                severity = _SEVERITY_RANK.get(str(ctl.get("severity")), 4)
                ranked.append((severity, _PROBLEMS.index(status), index, line))
        if unreachable:
            evidence = next((e for e in unreachable if e), "") or "\n".join(errors)
            unchecked = w.count(len(unreachable), "{n} control not checked", "{n} controls not checked")
            line = f"- **{w.status('unreachable')}** {name} · {unchecked}"
            first.append(f"{line} · {_text(evidence)}" if evidence.strip() else line)
        elif errors:
            first.extend(f"- **{_('host error')}** {name} · {_text(e)}" for e in errors)
    lines = first + [line for *_rank, line in sorted(ranked)]
    heading = _("## Problems")
    if not lines:
        return [heading, "", _("None: every result is pass, fixed, waived or not applicable.")]
    out = [heading, "", *lines[:MAX_PROBLEMS]]
    if len(lines) > MAX_PROBLEMS:
        out.append("- " + _("… and {n} more").format(n=w.number(len(lines) - MAX_PROBLEMS)))
    return out


def _rto(report: dict[str, Any], set_name: str, w: _Words) -> str:
    """The set's BK-RTO-01 outcome: its RTO target (from the evidence) and whether the estimate fits."""
    _ = w._
    for host in report.get("hosts") or []:
        if host.get("name") != f"{set_name}.backup":
            continue
        for result in host.get("results") or []:
            if result.get("control") != "BK-RTO-01":
                continue
            match = _RTO.search(str(result.get("evidence") or ""))
            target = _text(match.group(1), 20) if match else ""
            verdict = {"pass": "within", "fail": "beyond"}.get(str(result.get("status")))
            if verdict:
                return _(f"{verdict} RTO {{target}}" if target else f"{verdict} RTO").format(target=target)
            status = result.get("status")
            shown = w.status(status) if w.french and isinstance(status, str) else status
            pattern = "RTO {target}: {status}" if target else "RTO: {status}"
            return _(pattern).format(target=target, status=_text(shown, 20))
    return "—"


def _backups(report: dict[str, Any], w: _Words) -> list[str]:
    _ = w._
    sets: list[dict[str, Any]] = report.get("backups") or []
    if not sets:
        return []
    lines = [
        _("## Backups (latest verification of each set)"),
        "",
        _("| set | checked | verdict | snapshot age | test restore | full restore estimate | vs RTO |"),
        "|---|---|---|---:|---:|---:|---|",
    ]
    if len(sets) > MAX_SETS:
        # Sets whose latest verification did not pass first.
        sets = sorted(sets, key=lambda e: (e.get("checks") or [{}])[0].get("verdict") == "pass")
    for entry in sets[:MAX_SETS]:
        checks = entry.get("checks") or [{}]
        last = checks[0]
        verdict = last.get("verdict")
        cells = [
            _text(entry.get("set"), 40),
            w.when(last["checked_at"]) if last.get("checked_at") else "—",
            _text((w.status(verdict) if w.french and isinstance(verdict, str) else verdict) or "—", 20),
            w.duration(last.get("snapshot_age_seconds")),
            w.duration(last.get("restore_seconds")),
            w.duration(last.get("rto_estimate_seconds")),
            _rto(report, str(entry.get("set")), w),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(sets) > MAX_SETS:
        more = w.count(len(sets) - MAX_SETS, "{n} more set", "{n} more sets")
        lines.append("\n" + _("… and {more}").format(more=more))
    read = [text for entry in sets[:MAX_SETS] if (text := parts_summary(entry, w.lang))]
    if read:
        lines += ["", *(f"- {_text(text, 300)}" for text in read)]
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    """Render a ``carehard-report/1`` dict as a short Markdown summary (about 60 lines at most)."""
    w = _Words(report)
    control_ids = [str(c.get("id")) for c in report.get("controls") or []]
    rows = _host_rows(report, control_ids)
    sections = [
        _header(report, w),
        _summary(report, rows, w),
        # A backup run's hosts are its sets: the backups table tells more about them.
        _hosts_table(rows, w) if rows and not report.get("backups") else [],
        _problems(report, control_ids, w),
        _backups(report, w),
        directory_lines(report, w, _text),
    ]
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"
