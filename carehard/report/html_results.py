"""The compliance results as the HTML page shows them: one row per host for the matrix, each control
with its hosts grouped by identical evidence, its fix and its reference links, the priorities (problems
by severity, what to fix first), and the roll-ups by family and by CaRE domain. The rates and the
family and domain names are in the report's language (lang: en or fr); the catalog texts come in it
already.

A control "ran" when at least one host has a result of its own for it: a Windows control in a run of
Linux hosts did not, nor a control that only shows on a host that could not be reached at all. The
priorities and the CaRE domains count only the controls that ran."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from carehard.report.i18n import translator
from carehard.report.i18n.formats import percent_text
from carehard.report.labels import CARE_LABELS, STATUS_CODES, family_label, pass_rate, percent

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
# Above this many hosts in one evidence group, the host list is collapsed.
_INLINE_HOSTS_MAX = 12

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
PROBLEMS: tuple[str, ...] = ("fail", "error", "unreachable")
# What "What to fix first" lists: a control that failed or errored somewhere (an unreachable host
# is no fault of the control's; the page names those hosts on their own).
_TO_FIX: tuple[str, ...] = ("fail", "error")
# The families whose controls verify the backups (carehard backup verify).
BACKUP_FAMILIES: tuple[str, ...] = ("backup_verify", "backup")

# The documents the catalog's references point into: every link of the page leads to one of them.
HYGIENE_URL = "https://cyber.gouv.fr/publications/guide-dhygiene-informatique"
BP028_URL = "https://cyber.gouv.fr/publications/recommandations-de-securite-relatives-un-systeme-gnulinux"
CIS_DEBIAN_URL = "https://www.cisecurity.org/benchmark/debian_linux"
CIS_WINDOWS_URL = "https://www.cisecurity.org/benchmark/microsoft_windows_desktop"
# ANSSI's "Points de contrôle Active Directory": one page, an anchor per checkpoint (#vuln_krbtgt).
AD_CHECKLIST_URL = "https://www.cert.ssi.gouv.fr/uploads/ad_checklist.html"
REFERENCE_URLS: tuple[str, ...] = (HYGIENE_URL, BP028_URL, CIS_DEBIAN_URL, CIS_WINDOWS_URL, AD_CHECKLIST_URL)
_CHECKPOINT = re.compile(r"vuln_[a-z0-9_]+")


def is_reference_url(url: str) -> bool:
    """Whether a link of the page is one of the references' documents (a checkpoint's anchor of the
    ANSSI Active Directory page included): the only addresses outside the page it may hold."""
    page, _, anchor = url.partition("#")
    if not anchor:
        return url in REFERENCE_URLS
    return page == AD_CHECKLIST_URL and bool(_CHECKPOINT.fullmatch(anchor))


# "What to fix first": at most this many host names per entry and evidence groups shown, and the
# evidence's first line cut to this many characters (the control's details have the rest).
_FIX_HOSTS_MAX = 12
_FIX_GROUPS_MAX = 3
_EVIDENCE_CHARS = 200


def _rate(counts: Any, lang: str) -> str:
    return percent_text(percent(pass_rate(counts)), lang)


def host_view(host: dict[str, Any], control_ids: list[str], lang: str = "en") -> dict[str, Any]:
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
        "facts": {k: facts.get(k) for k in ("os", "os_version", "kernel", "virtualization", "address")},
        "errors": [str(e) for e in host.get("errors") or []],
        "cells": cells,
        "spanning": not reachable and not by_control,
        "counts": dict(counts),
        "rate": _rate(counts, lang),
        "problems": problems,
        "row_class": "down" if not reachable else ("" if problems else "ok"),
    }


def control_views(
    report: dict[str, Any], hosts: list[dict[str, Any]], lang: str = "en"
) -> list[dict[str, Any]]:
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
    ran: Counter[int] = Counter()
    for host in hosts:
        ran.update({index[cid] for r in host.get("results") or [] if (cid := str(r.get("control"))) in index})
    views = []
    for i, (ctl, grp) in enumerate(zip(controls, groups, strict=True)):
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
        fix = str(ctl.get("fix") or "")
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
                "fix": fix,
                "fix_parts": code_parts(fix),
                "links": reference_links(ctl, lang),
                "refs": {
                    "anssi_hygiene": refs.get("anssi_hygiene") or [],
                    "anssi_bp028": refs.get("anssi_bp028") or [],
                    "cis": refs.get("cis") or [],
                    "anssi_ad": refs.get("anssi_ad") or [],
                    "care": refs.get("care") or [],
                },
                "counts": dict(counts),
                "rate": _rate(counts, lang),
                "problems": sum(counts.get(s, 0) for s in PROBLEMS),
                "failing": sum(counts.get(s, 0) for s in _TO_FIX),  # hosts: one result each
                "ran": ran[i],
                "groups": items,
            }
        )
    return views


def code_parts(text: str) -> list[tuple[str, bool]]:
    """A catalog text cut at its backquotes: (text, is_code) pairs, `restic check` being code."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backquote: no code at all
        return [(text, False)] if text else []
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


def reference_links(ctl: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """The control's references as links: the measure of the ANSSI hygiene guide, the recommendation
    of ANSSI BP-028, the section of the CIS benchmark (Microsoft Windows for a Windows control, Debian
    Linux otherwise), the checkpoint of ANSSI's Active Directory checklist (its anchor on that page);
    each with its text ("measure 37"), its URL and a title naming the document."""
    _ = translator(lang)
    refs = ctl.get("references") or {}
    platforms = [str(p) for p in ctl.get("platforms") or []]
    windows = str(ctl.get("id", "")).startswith("WW-") or platforms == ["windows"]
    cis_name = "Microsoft Windows" if windows else "Debian Linux"
    cis_url = CIS_WINDOWS_URL if windows else CIS_DEBIAN_URL

    def links(values: Any, url: str, text: str, title: str) -> list[dict[str, str]]:
        return [
            {"text": _(text).format(ref=v), "url": url, "title": _(title).format(ref=v, name=cis_name)}
            for v in (str(value) for value in values or [])
        ]

    return {
        "anssi_hygiene": links(
            refs.get("anssi_hygiene"), HYGIENE_URL, "measure {ref}", "ANSSI hygiene guide, measure {ref}"
        ),
        "anssi_bp028": links(
            refs.get("anssi_bp028"), BP028_URL, "{ref}", "ANSSI BP-028 (GNU/Linux), recommendation {ref}"
        ),
        "cis": links(refs.get("cis"), cis_url, "section {ref}", "CIS {name} benchmark, section {ref}"),
        "cis_name": cis_name,
        "anssi_ad": [
            {
                "text": ref,
                "url": f"{AD_CHECKLIST_URL}#{ref}",
                "title": _("ANSSI Active Directory checkpoint {ref}").format(ref=ref),
            }
            for ref in (str(value) for value in refs.get("anssi_ad") or [])
            if _CHECKPOINT.fullmatch(ref)  # an anchor of that page, nothing else in the address
        ],
    }


def _severity(cv: dict[str, Any]) -> str:
    severity = str(cv.get("severity") or "")
    return severity if severity in SEVERITIES else "low"


def _first_line(evidence: str) -> str:
    lines = [line.strip() for line in evidence.splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[0]
    if len(line) > _EVIDENCE_CHARS:
        return line[: _EVIDENCE_CHARS - 1].rstrip() + "…"
    return line + (" …" if len(lines) > 1 else "")


def priority_view(controls: list[dict[str, Any]], lang: str = "en") -> dict[str, Any]:
    """The page's priorities over the controls that ran: per severity, the problems (fail, error,
    unreachable results) and the controls that have them; and "What to fix first", the controls that
    failed or errored, the most severe first, then those failing on the most hosts."""
    _ = translator(lang)
    ran = [cv for cv in controls if cv["ran"]]
    tiles = []
    for severity in SEVERITIES:
        cvs = [cv for cv in ran if _severity(cv) == severity]
        counts = {s: sum(cv["counts"].get(s, 0) for cv in cvs) for s in PROBLEMS}
        tiles.append(
            {
                "severity": severity,
                "label": _(severity),
                "problems": sum(counts.values()),
                "counts": counts,
                "controls": sum(1 for cv in cvs if cv["problems"]),
                "listed": sum(1 for cv in cvs if cv["failing"]),
            }
        )
    to_fix = sorted(
        (cv for cv in ran if cv["failing"]),
        key=lambda cv: (SEVERITIES.index(_severity(cv)), -cv["failing"], cv["id"]),
    )
    groups = []
    for severity in SEVERITIES:
        entries = [_fix_entry(cv) for cv in to_fix if _severity(cv) == severity]
        if entries:
            groups.append({"severity": severity, "label": _(severity), "entries": entries})
    return {
        "tiles": tiles,
        "problems": sum(t["problems"] for t in tiles),
        "groups": groups,
        "listed": len(to_fix),
        "unreachable_only": sum(1 for cv in ran if cv["problems"] and not cv["failing"]),
    }


def _fix_entry(cv: dict[str, Any]) -> dict[str, Any]:
    """One control of "What to fix first": its failing hosts, a summary of its evidence, its fix."""
    failing = [g for g in cv["groups"] if g["status"] in _TO_FIX]
    hosts = [name for g in failing for name in g["hosts"]]
    return {
        "id": cv["id"],
        "title": cv["title"],
        "severity": _severity(cv),
        "family": cv["family"],
        "counts": {s: cv["counts"][s] for s in PROBLEMS if cv["counts"].get(s)},
        "hosts": hosts[:_FIX_HOSTS_MAX],
        "more_hosts": max(len(hosts) - _FIX_HOSTS_MAX, 0),
        "evidence": [
            {
                "status": g["status"],
                "hosts": len(g["hosts"]),
                "host": g["hosts"][0] if len(g["hosts"]) == 1 else "",
                "line": _first_line(g["evidence"]),
            }
            for g in failing[:_FIX_GROUPS_MAX]
        ],
        "more_evidence": max(len(failing) - _FIX_GROUPS_MAX, 0),
        "fix_parts": cv["fix_parts"],
        "links": cv["links"],
    }


def family_views(controls: list[dict[str, Any]], lang: str = "en") -> list[dict[str, Any]]:
    """The controls by family, in the order they come, with their counts added up."""
    _ = translator(lang)
    families: dict[str, list[dict[str, Any]]] = {}
    for cv in controls:
        families.setdefault(str(cv["family"]), []).append(cv)
    views = []
    for family, cvs in families.items():
        counts: Counter[str] = Counter()
        for cv in cvs:
            counts.update(cv["counts"])
        views.append(
            {
                "name": family,
                "label": _(family_label(family)),
                "controls": cvs,
                "counts": dict(counts),
                "rate": _rate(counts, lang),
                "problems": sum(cv["problems"] for cv in cvs),
            }
        )
    return views


def care_views(controls: list[dict[str, Any]], lang: str = "en") -> list[dict[str, Any]]:
    """Per CaRE domain that some control of the report refers to: the number of its controls that ran
    and their counts added up (a control that ran on no host is left out: `left_out` counts them). The
    continuity domain is always there when another is, and says when no backup verification ran
    (`no_backups`): a run of workstations alone tells nothing of the restores."""
    _ = translator(lang)
    views = []
    for domain, label in CARE_LABELS.items():
        cvs = [cv for cv in controls if domain in cv["refs"]["care"]]
        if not cvs and domain != "continuity":
            continue
        ran = [cv for cv in cvs if cv["ran"]]
        counts: Counter[str] = Counter()
        for cv in ran:
            counts.update(cv["counts"])
        views.append(
            {
                "name": domain,
                "label": _(label),
                "controls": len(ran),
                "left_out": len(cvs) - len(ran),
                "counts": dict(counts),
                "rate": _rate(counts, lang),
                "no_backups": domain == "continuity" and not backups_ran(controls),
            }
        )
    if all(not v["controls"] and not v["left_out"] for v in views):
        return []  # no domain at all: the page shows no CaRE table
    return views


def backups_ran(controls: list[dict[str, Any]]) -> bool:
    """Whether a backup verification control (carehard backup verify) ran on some host."""
    return any(cv["ran"] and cv["family"] in BACKUP_FAMILIES for cv in controls)
