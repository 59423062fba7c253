"""The compliance results as the HTML page shows them: one row per host for the matrix, each control
with its hosts grouped by identical evidence, and the roll-ups by family and by CaRE domain. The rates
and the family and domain names are in the report's language (lang: en or fr); the catalog texts come
in it already."""

from __future__ import annotations

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
                "rate": _rate(counts, lang),
                "problems": sum(counts.get(s, 0) for s in ("fail", "error", "unreachable")),
                "groups": items,
            }
        )
    return views


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
    """Per CaRE domain that some control refers to: its number of controls and their counts added up."""
    _ = translator(lang)
    views = []
    for domain, label in CARE_LABELS.items():
        cvs = [cv for cv in controls if domain in cv["refs"]["care"]]
        if not cvs:
            continue
        counts: Counter[str] = Counter()
        for cv in cvs:
            counts.update(cv["counts"])
        views.append(
            {
                "name": domain,
                "label": _(label),
                "controls": len(cvs),
                "counts": dict(counts),
                "rate": _rate(counts, lang),
            }
        )
    return views
