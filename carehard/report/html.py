"""Self-contained HTML rendering of a ``carehard-report/1`` report dict.

The page has no external resource of any kind (admin stations in hospitals are often
offline): CSS and the few lines of JS are inline. Everything the template shows is computed
here once, so the template stays a plain loop and a 500 hosts x 100 controls matrix renders
quickly; jinja2 autoescaping is on, so evidence and names are always escaped.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from functools import lru_cache
from typing import Any

import jinja2

from carehard.durations import format_duration, parse_duration
from carehard.errors import UsageError

# Display order: good first, then problems, then "did not count".
STATUSES: tuple[str, ...] = ("pass", "fixed", "waived", "fail", "error", "unreachable", "not_applicable")

# Short cell text in the matrix (the legend explains it; the cell title gives the full word).
STATUS_CODES: dict[str, str] = {
    "pass": "P",
    "fixed": "Fx",
    "waived": "W",
    "fail": "F",
    "error": "E",
    "unreachable": "U",
    "not_applicable": "na",
}

STATUS_LABELS: dict[str, str] = {
    "pass": "pass",
    "fixed": "fixed",
    "waived": "waived",
    "fail": "fail",
    "error": "error",
    "unreachable": "unreachable",
    "not_applicable": "not applicable",
}

STATUS_MEANINGS: dict[str, str] = {
    "pass": "compliant",
    "fixed": "changed by harden, now compliant",
    "waived": "not compliant, covered by a valid waiver",
    "fail": "not compliant (or fix applied but not effective)",
    "error": "a task broke: compliance unknown",
    "unreachable": "host could not be reached",
    "not_applicable": "premise absent on this host",
}

# Order of evidence groups inside a control: problems first.
_GROUP_ORDER: dict[str, int] = {
    "fail": 0,
    "error": 1,
    "unreachable": 2,
    "waived": 3,
    "fixed": 4,
    "pass": 5,
    "not_applicable": 6,
}

FAMILY_LABELS: dict[str, str] = {
    "workstation_linux": "Linux workstations",
    "workstation_windows": "Windows workstations",
    "remote_access": "Remote access and remote maintenance",
    "backup_verify": "Backups and restore tests",
    "backup": "Backups and restore tests",
    "compliance_facts": "Compliance facts",
}

CARE_LABELS: dict[str, str] = {
    "exposure": "D1 Directories and internet exposure",
    "continuity": "D2 Continuity and recovery",
    "remote_access": "Remote access / remote maintenance",
    "workstations": "Workstations and detection",
}

LEVEL_LABELS: dict[int, str] = {1: "minimal", 2: "intermediary", 3: "enhanced"}

EXIT_CODES: dict[int, str] = {
    0: "all controls pass, fixed, waived or not applicable",
    1: "some control failed",
    2: "usage or configuration error",
    3: "a host was unreachable or a task errored",
}

# Above this many matrix cells, the matrix starts collapsed so the page opens fast.
_OPEN_MATRIX_MAX_CELLS = 5000
# Above this many hosts in one evidence group, the host list is collapsed.
_INLINE_HOSTS_MAX = 12


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("carehard.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = _num
    return env


def _num(value: int) -> str:
    """Thousands grouped with a narrow no-break space, as in French and SI usage; 0 stays "0"."""
    return f"{value:,}".replace(",", "\u202f")


def pass_rate(counts: dict[str, int]) -> float | None:
    """(pass + fixed + waived) / (all - not_applicable), or None when nothing counts."""
    total = sum(int(counts.get(s, 0)) for s in STATUSES) - int(counts.get("not_applicable", 0))
    if total <= 0:
        return None
    good = sum(int(counts.get(s, 0)) for s in ("pass", "fixed", "waived"))
    return good / total


def percent(rate: float | None) -> str:
    if rate is None:
        return "n/a"
    # Never show 100 % while something is not compliant.
    value = rate * 100
    if value < 100 and round(value, 1) >= 100:
        return "99.9 %"
    return f"{value:.1f} %".replace(".0 %", " %")


def _family_label(family: str) -> str:
    return FAMILY_LABELS.get(family, family.replace("_", " ").capitalize())


def _host_view(host: dict[str, Any], control_ids: list[str]) -> dict[str, Any]:
    reachable = bool(host.get("reachable", True))
    by_control: dict[str, dict[str, Any]] = {}
    for result in host.get("results") or []:
        by_control[str(result.get("control", ""))] = result
    cells: list[str | None] = []
    for cid in control_ids:
        res = by_control.get(cid)
        status = res.get("status") if res else None
        cells.append(status if status in STATUS_CODES else ("unknown" if res else None))
    counts = Counter(str(r.get("status")) for r in by_control.values())
    if not reachable and not by_control:
        # Nothing ran there: every control counts as unreachable for this host.
        counts = Counter({"unreachable": len(control_ids)})
    facts = host.get("facts") or {}
    problems = sum(counts.get(s, 0) for s in ("fail", "error", "unreachable")) + len(host.get("errors") or [])
    return {
        "name": str(host.get("name", "?")),
        "reachable": reachable,
        "facts": {k: facts.get(k) for k in ("os", "os_version", "kernel", "virtualization")},
        "errors": [str(e) for e in host.get("errors") or []],
        "cells": cells,
        "spanning": not reachable and not by_control,
        "counts": dict(counts),
        "rate": percent(pass_rate(counts)),
        "problems": problems,
        "row_class": "down" if not reachable else ("" if problems else "ok"),
    }


def _control_views(report: dict[str, Any], hosts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per control: counts and the hosts grouped by identical (status, evidence)."""
    controls: list[dict[str, Any]] = report.get("controls") or []
    index = {str(c.get("id")): i for i, c in enumerate(controls)}
    groups: list[dict[tuple[str, str], list[str]]] = [{} for _ in controls]
    for host in hosts:
        name = str(host.get("name", "?"))
        seen: set[int] = set()
        for result in host.get("results") or []:
            i = index.get(str(result.get("control")))
            if i is None:
                continue
            seen.add(i)
            key = (str(result.get("status", "unknown")), str(result.get("evidence") or ""))
            groups[i].setdefault(key, []).append(name)
        if not host.get("reachable", True) and not host.get("results"):
            for i in range(len(controls)):
                if i not in seen:
                    groups[i].setdefault(("unreachable", ""), []).append(name)
    views = []
    for ctl, grp in zip(controls, groups, strict=True):
        counts: Counter[str] = Counter()
        items = []
        for (status, evidence), names in sorted(
            grp.items(), key=lambda kv: (_GROUP_ORDER.get(kv[0][0], 9), -len(kv[1]), kv[0][1])
        ):
            counts[status] += len(names)
            items.append(
                {
                    "status": status,
                    "evidence": evidence,
                    "hosts": names,
                    "collapsed": len(names) > _INLINE_HOSTS_MAX,
                }
            )
        refs = ctl.get("references") or {}
        views.append(
            {
                "id": str(ctl.get("id")),
                "title": ctl.get("title", ""),
                "family": ctl.get("family", ""),
                "platforms": ctl.get("platforms") or [],
                "severity": ctl.get("severity", ""),
                "level": ctl.get("level", ""),
                "remediation": ctl.get("remediation", ""),
                "rationale": ctl.get("rationale", ""),
                "refs": {
                    "anssi_hygiene": refs.get("anssi_hygiene") or [],
                    "anssi_bp028": refs.get("anssi_bp028") or [],
                    "cis": refs.get("cis") or [],
                    "care": refs.get("care") or [],
                },
                "counts": dict(counts),
                "rate": percent(pass_rate(counts)),
                "problems": sum(counts.get(s, 0) for s in ("fail", "error", "unreachable")),
                "groups": items,
            }
        )
    return views


def _view(report: dict[str, Any]) -> dict[str, Any]:
    run: dict[str, Any] = report.get("run") or {}
    controls: list[dict[str, Any]] = report.get("controls") or []
    control_ids = [str(c.get("id")) for c in controls]
    raw_hosts: list[dict[str, Any]] = report.get("hosts") or []
    hosts = [_host_view(h, control_ids) for h in raw_hosts]
    control_views = _control_views(report, raw_hosts)

    summary = {s: int((report.get("summary") or {}).get(s, 0)) for s in STATUSES}
    total = sum(summary.values())
    rate = pass_rate(summary)

    families: dict[str, list[dict[str, Any]]] = {}
    for cv in control_views:
        families.setdefault(str(cv["family"]), []).append(cv)
    family_views = []
    for family, cvs in families.items():
        counts: Counter[str] = Counter()
        for cv in cvs:
            counts.update(cv["counts"])
        family_views.append(
            {
                "name": family,
                "label": _family_label(family),
                "controls": cvs,
                "counts": dict(counts),
                "rate": percent(pass_rate(counts)),
                "problems": sum(cv["problems"] for cv in cvs),
            }
        )

    care_views = []
    for domain, label in CARE_LABELS.items():
        cvs = [cv for cv in control_views if domain in cv["refs"]["care"]]
        if not cvs:
            continue
        counts = Counter()
        for cv in cvs:
            counts.update(cv["counts"])
        care_views.append(
            {
                "name": domain,
                "label": label,
                "controls": len(cvs),
                "counts": dict(counts),
                "rate": percent(pass_rate(counts)),
            }
        )

    level = run.get("level")
    exit_code = run.get("exit_code")
    selection = run.get("selection") or {}
    return {
        "schema": report.get("schema", ""),
        "run": {
            "id": run.get("id", ""),
            "mode": run.get("mode", ""),
            "started": run.get("started") or "",
            "finished": run.get("finished") or "",
            "carehard_version": run.get("carehard_version", ""),
            "level": level,
            "level_label": LEVEL_LABELS.get(level, "") if isinstance(level, int) else "",
            "exit_code": exit_code,
            "exit_meaning": EXIT_CODES.get(exit_code, "") if isinstance(exit_code, int) else "",
            "selection": {
                "inventory": selection.get("inventory") or "",
                "limit": selection.get("limit"),
                "only": selection.get("only") or [],
                "skip": selection.get("skip") or [],
            },
        },
        "statuses": STATUSES,
        "codes": STATUS_CODES,
        "labels": STATUS_LABELS,
        "meanings": STATUS_MEANINGS,
        "summary": summary,
        "total": total,
        "rate": percent(rate),
        "rate_value": rate,
        "bar": [(s, summary[s] * 100 / total) for s in STATUSES if total and summary[s]],
        "controls": control_views,
        "control_ids": control_ids,
        "hosts": hosts,
        "unreachable_hosts": [h["name"] for h in hosts if not h["reachable"]],
        "error_hosts": [h for h in hosts if h["errors"]],
        "families": family_views,
        "care": care_views,
        "care_labels": CARE_LABELS,
        "matrix_open": len(hosts) * max(len(control_ids), 1) <= _OPEN_MATRIX_MAX_CELLS,
        "ncols": len(control_ids),
        "backups": [_trend_view(entry) for entry in report.get("backups") or []],
        "trend": _run_trend_view(report.get("trend") or []),
        "fleet": _fleet_view(report.get("fleet")),
        "exposure": _exposure_view(report.get("exposure")),
    }


def _target_seconds(value: Any) -> float | None:
    try:
        return float(parse_duration(str(value), "target")) if value else None
    except UsageError:
        return None


def _over(measured: Any, target: float | None) -> bool:
    return target is not None and measured is not None and float(measured) > target


def _trend_view(entry: dict[str, Any]) -> dict[str, Any]:
    rows = []
    rpo, rto = _target_seconds(entry.get("rpo")), _target_seconds(entry.get("rto"))
    for check in entry.get("checks") or []:
        throughput = check.get("throughput")
        rows.append(
            {
                "checked_at": check.get("checked_at"),
                "verdict": check.get("verdict"),
                "snapshot_time": check.get("snapshot_time") or "—",
                "age": format_duration(check.get("snapshot_age_seconds")),
                "check": {True: "ok", False: "FAILED", None: "—"}[check.get("check_ok")],
                "restore": format_duration(check.get("restore_seconds")),
                "throughput": f"{throughput / 1048576:.1f} MiB/s" if throughput else "—",
                "full_restore": format_duration(check.get("rto_estimate_seconds")),
                "age_over": _over(check.get("snapshot_age_seconds"), rpo),
                "full_over": _over(check.get("rto_estimate_seconds"), rto),
            }
        )
    return {
        "set": entry.get("set"),
        "rpo": entry.get("rpo"),
        "rto": entry.get("rto"),
        "rows": rows,
        "chart": _restore_chart(entry),
    }


# --- Inventory and exposure map -------------------------------------------------------------------

_SUPPORT_CLASSES = {"supported": "f-ok", "ending": "f-warn", "unsupported": "f-bad"}
# Cell of the exposure map per port state: (text, class); an open port is "reachable", red unless allowed.
_EXPOSURE_CELLS = {"closed": ("closed", "x-closed"), "filtered": ("filtered", "x-filtered")}


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []


def _fleet_view(rows: Any) -> list[dict[str, Any]] | None:
    """The inventory rows (carehard.fleet's shape) as the template shows them; None without rows."""
    if not isinstance(rows, list):
        return None
    views = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        status = str(row.get("support") or "")
        support = status or "—"
        if row.get("support_ends"):
            support += f" until {row['support_ends']}"
        left = row.get("support_days_left")
        pending = row.get("security_updates_pending")
        names = _strings(row.get("security_updates"))
        undeclared = set(_strings(row.get("undeclared_admins")))
        admins = _strings(row.get("admins"))
        admins += sorted(undeclared - set(admins))
        ok = row.get("detection_ok")
        agents = ", ".join(_strings(row.get("detection")))
        time_sync = row.get("time_sync")
        views.append(
            {
                "host": str(row.get("host", "?")),
                "os": str(row.get("os") or "—"),
                "support": support,
                "support_left": f"{left} days left"
                if isinstance(left, int) and not isinstance(left, bool)
                else "",
                "support_class": _SUPPORT_CLASSES.get(status, ""),
                "pending": "—" if pending is None else str(pending),
                "pending_class": "f-warn" if pending else "",
                "updates": ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else ""),
                "updates_all": ", ".join(names),
                "last_update": str(row.get("last_update") or "")[:10],
                "exposed": [
                    {"text": item, "bad": not item.endswith("[allowed]")}
                    for item in _strings(row.get("exposed_services"))
                ],
                "reachable_from": row.get("reachable_from") or "",
                "reachable": [
                    {"text": item, "bad": not item.endswith("[allowed]")}
                    for item in _strings(row.get("reachable_ports"))
                ],
                "detection": agents or ("none" if ok is False else "—"),
                "detection_class": "f-bad" if ok is False else "",
                "admins": [{"name": name, "undeclared": name in undeclared} for name in admins],
                "encryption": row.get("disk_encryption") or "—",
                "encryption_class": "f-bad" if row.get("disk_encryption") == "no" else "",
                "domain": row.get("domain") or "—",
                "time_sync": time_sync or "—",
                "time_class": "f-warn" if str(time_sync or "").startswith("no") else "",
                "collected_at": row.get("collected_at") or "—",
                "run_id": row.get("run_id") or "",
            }
        )
    return views or None


def _exposure_view(exposure: Any) -> dict[str, Any] | None:
    """The exposure map: hosts x ports probed; None when it has no host or no port."""
    if not isinstance(exposure, dict):
        return None
    columns = [
        (p.get("port"), str(p.get("proto") or "tcp"), p.get("service"))
        for p in exposure.get("ports") or []
        if isinstance(p, dict)
    ]
    rows = []
    bad = 0
    for host in exposure.get("hosts") or []:
        if not isinstance(host, dict):
            continue
        states = {
            (p.get("port"), str(p.get("proto") or "tcp")): p
            for p in host.get("ports") or []
            if isinstance(p, dict)
        }
        cells = []
        for port, proto, _service in columns:
            entry = states.get((port, proto))
            state = str(entry.get("state")) if entry else ""
            label = f"{host.get('name', '?')} {port}/{proto}"
            if state == "open":
                allowed = entry is not None and entry.get("allowed") is True
                bad += not allowed
                why = "allowed for its group" if allowed else "not allowed"
                cells.append(
                    {
                        "text": "reachable",
                        "cls": "x-allowed" if allowed else "x-bad",
                        "title": f"{label}: {why}",
                    }
                )
            elif state in _EXPOSURE_CELLS:
                text, cls = _EXPOSURE_CELLS[state]
                cells.append({"text": text, "cls": cls, "title": f"{label}: {text}"})
            else:
                cells.append({"text": "—", "cls": "x-none", "title": f"{label}: not probed or unknown"})
        rows.append({"name": str(host.get("name", "?")), "cells": cells})
    if not rows or not columns:
        return None
    return {
        "run_id": exposure.get("run_id") or "",
        "from": exposure.get("from") or "?",
        "method": exposure.get("method") or "",
        "scanned_at": exposure.get("scanned_at") or "",
        "ports": [{"label": f"{port}/{proto}", "service": service or ""} for port, proto, service in columns],
        "rows": rows,
        "bad": bad,
    }


# --- Trend charts ---------------------------------------------------------------------------------
# Inline SVG, no script: the geometry is computed here, the template writes the elements (autoescaped).

_RATE_CHART_SIZE = (720, 220)
_RESTORE_CHART_SIZE = (480, 170)
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 56, 36, 12, 30
_X_LABEL_SPACING = 85  # a YYYY-MM-DD label is about 62 units wide
# Steps of a duration axis, in seconds: round numbers of seconds, minutes and hours.
_DURATION_STEPS: tuple[float, ...] = (
    *(0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30),
    *(60, 120, 300, 600, 900, 1800),
    *(3600, 7200, 10800, 21600, 43200, 86400),
)
_VERDICTS = ("pass", "fail", "error", "unreachable")
_MODES = ("audit", "harden", "backup")


def _when(value: Any) -> tuple[str, str, str]:
    """(day, time, day and time with its zone) of an ISO 8601 timestamp; the raw text if it does not parse."""
    text = str(value or "")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text, text, text
    offset = moment.strftime("%z")
    zone = " UTC" if offset == "+0000" else (f" {offset[:3]}:{offset[3:5]}" if offset else "")
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M"), moment.strftime("%Y-%m-%d %H:%M") + zone


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _line_chart(
    values: list[float | None],
    moments: list[tuple[str, str, str]],
    titles: list[str],
    classes: list[str],
    yticks: list[tuple[float, str]],
    size: tuple[int, int],
    label: str,
) -> dict[str, Any]:
    """One line over evenly spaced points; `values` and tick positions are fractions of the y axis (0..1).

    A None value breaks the line and shows as a hollow mark on the axis. The last point is marked.
    """
    width, height = size
    left, top = _MARGIN_LEFT, _MARGIN_TOP
    right, bottom = width - _MARGIN_RIGHT, height - _MARGIN_BOTTOM
    n = len(values)

    def x_at(i: int) -> float:
        return left + (right - left) * i / (n - 1) if n > 1 else (left + right) / 2

    def y_at(fraction: float) -> float:
        return bottom - (bottom - top) * min(max(fraction, 0.0), 1.0)

    points: list[dict[str, Any]] = []
    segments: list[list[tuple[float, float]]] = [[]]
    for i, value in enumerate(values):
        last = i == n - 1
        if value is None:
            points.append({"x": f"{x_at(i):.1f}", "y": f"{bottom:.1f}", "cls": "na", "r": 5 if last else 3})
            segments.append([])
        else:
            segments[-1].append((x_at(i), y_at(value)))
            points.append(
                {"x": f"{x_at(i):.1f}", "y": f"{y_at(value):.1f}", "cls": classes[i], "r": 5 if last else 3.5}
            )
        points[-1].update(title=titles[i], current=last)
    paths = [
        "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in segment) for segment in segments if len(segment) > 1
    ]

    # Date labels under the axis: never closer than _X_LABEL_SPACING, always the last one, the time
    # instead of the day when the day repeats.
    step = max(1, math.ceil(n / max(2, (right - left) // _X_LABEL_SPACING)))
    shown = list(range(0, n, step))
    if shown[-1] != n - 1:
        if n - 1 - shown[-1] < step * 0.6 and len(shown) > 1:
            shown.pop()
        shown.append(n - 1)
    xlabels = []
    previous_day = None
    for i in shown:
        day, time, _full = moments[i]
        xlabels.append(
            {
                "x": f"{x_at(i):.1f}",
                "label": time if day == previous_day else day,
            }
        )
        previous_day = day
    return {
        "width": width,
        "height": height,
        "label": label,
        "left": left,
        "right": right,
        "bottom": bottom,
        "yticks": [{"y": f"{y_at(f):.1f}", "label": text} for f, text in yticks],
        "xlabels": xlabels,
        "label_y": bottom + 18,
        "paths": paths,
        "points": points,
    }


def _run_trend_view(entries: list[Any]) -> dict[str, Any] | None:
    """The compliance rate of the runs in `trend` (oldest first, this run last); None under two runs."""
    runs = [e for e in entries if isinstance(e, dict)]
    if len(runs) < 2:
        return None
    rates = [_number(e.get("pass_rate")) for e in runs]
    moments = [_when(e.get("started")) for e in runs]
    modes = [str(e.get("mode", "")) for e in runs]
    titles = []
    rows = []
    for i, (entry, rate, moment, mode) in enumerate(zip(runs, rates, moments, modes, strict=True)):
        this = " · this report" if i == len(runs) - 1 else ""
        titles.append(f"{moment[2]} · {mode} · {percent(rate)} · run {entry.get('run_id', '?')}{this}")
        counts = entry.get("counts")
        counts = counts if isinstance(counts, dict) else {}
        rows.append(
            {
                "when": moment[2],
                "mode": mode,
                "run_id": str(entry.get("run_id", "")),
                "rate": percent(rate),
                "counts": {s: int(_number(counts.get(s)) or 0) for s in STATUSES},
            }
        )
    known = [(rate, moment) for rate, moment in zip(rates, moments, strict=True) if rate is not None]
    if known:
        (first, first_at), (last, last_at) = known[0], known[-1]
        summary = (
            f"from {percent(first)} on {first_at[0]} to {percent(last)} on {last_at[0]}"
            if len(known) > 1
            else f"{percent(last)} on {last_at[0]}, the only run with a rate"
        )
    else:
        summary = "no run had a result that counts"
    label = f"Compliance rate of the last {len(runs)} runs, oldest first: {summary}."
    caption = f"This run: {percent(rates[-1])}."
    if rates[-1] is not None and len(known) > 1:
        before = known[-2]
        delta = (rates[-1] - before[0]) * 100
        change = f"{delta:+.1f} points" if abs(delta) >= 0.05 else "Unchanged"
        caption += f" {change} since the run of {before[1][2]}."
    chart = _line_chart(
        [rate if rate is None else min(max(rate, 0.0), 1.0) for rate in rates],
        moments,
        titles,
        [f"m-{m}" if m in _MODES else "m-other" for m in modes],
        [(f / 4, f"{f * 25} %") for f in range(5)],
        _RATE_CHART_SIZE,
        label,
    )
    return {
        "chart": chart,
        "caption": caption,
        "modes": [m for m in _MODES if m in modes],
        "has_na": any(rate is None for rate in rates),
        "rows": rows,
    }


def _duration_tick(seconds: float) -> str:
    """An axis label: the origin is 0 in any unit."""
    return "0" if seconds == 0 else format_duration(seconds)


def _restore_chart(entry: dict[str, Any]) -> dict[str, Any] | None:
    """Restore times of one backup set over its checks, oldest first: the estimated full restore (RTO)
    when at least two checks have one, else the test restore; None with fewer than two values."""
    checks = [c for c in reversed(entry.get("checks") or []) if isinstance(c, dict)]
    if len(checks) < 2:
        return None
    full = [_number(c.get("rto_estimate_seconds")) for c in checks]
    test = [_number(c.get("restore_seconds")) for c in checks]
    if sum(v is not None for v in full) >= 2:
        values, what = full, "estimated full restore time (RTO)"
    elif sum(v is not None for v in test) >= 2:
        values, what = test, "test restore time"
    else:
        return None
    values = [v if v is None else max(v, 0.0) for v in values]
    highest = max((v for v in values if v is not None), default=0.0) or 1.0
    step = next((s for s in _DURATION_STEPS if highest / s <= 4), 0.0)
    step = step or 86400 * math.ceil(highest / 4 / 86400)
    ticks = max(1, math.ceil(highest / step - 1e-9))
    top = ticks * step
    moments = [_when(c.get("checked_at")) for c in checks]
    titles = []
    for i, (check, moment) in enumerate(zip(checks, moments, strict=True)):
        text = f"{moment[2]} · {check.get('verdict', '?')} · "
        if what.startswith("estimated"):
            text += f"full restore {format_duration(full[i])} (test restore {format_duration(test[i])})"
        else:
            text += f"test restore {format_duration(test[i])}"
        titles.append(text)
    known = [(v, m) for v, m in zip(values, moments, strict=True) if v is not None]
    name = str(entry.get("set", "?"))
    (first, first_at), (last, last_at) = known[0], known[-1]
    label = (
        f"{what[0].upper()}{what[1:]} of backup set {name} over its last {len(checks)} verifications, "
        f"oldest first: from {format_duration(first)} on {first_at[0]} to {format_duration(last)} on "
        f"{last_at[0]}."
    )
    chart = _line_chart(
        [v if v is None else v / top for v in values],
        moments,
        titles,
        [f"v-{c.get('verdict')}" if c.get("verdict") in _VERDICTS else "v-other" for c in checks],
        [(i / ticks, _duration_tick(i * step)) for i in range(ticks + 1)],
        _RESTORE_CHART_SIZE,
        label,
    )
    return {"chart": chart, "what": what}


def prepare() -> None:
    """Compile the template ahead of time (carehard does it while the playbook runs)."""
    _environment().get_template("report.html.j2")


def render_html(report: dict[str, Any]) -> str:
    """Render a ``carehard-report/1`` dict as one self-contained HTML page."""
    template = _environment().get_template("report.html.j2")
    return template.render(**_view(report))
