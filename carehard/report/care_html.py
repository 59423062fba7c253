"""The CaRE document (carehard.report.care_document) as one self-contained HTML page, printable on A4.

The page has no external resource and no script: inline CSS, tables that wrap (fixed layout, every
column a share of the width) so that nothing is cut on paper. Everything shown is computed here in
the document's language (carehard.report.care_words); the template (templates/care.html.j2) is plain
loops, with jinja2 autoescaping on: objective labels, set names and titles are always escaped.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from carehard.establishment import FIELDS
from carehard.report.care_text import (
    CONTROL_HEADERS,
    HOW_TO_READ,
    RESTORE_HEADERS,
    RUN_HEADERS,
    restore_row,
    section_heading,
)
from carehard.report.care_words import BACKUP_NOTE, Words, sections

WHO_LABELS = {
    "name": "Establishment",
    "finess": "FINESS",
    "site": "Site",
    "author": "Author",
    "contact": "Contact",
}


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("carehard.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_care_html(document: dict[str, Any]) -> str:
    w = Words(str(document.get("lang")))
    return _environment().get_template("care.html.j2").render(w=w, **care_view(document, w))


def care_view(document: dict[str, Any], w: Words) -> dict[str, Any]:
    who = document.get("establishment") or {}
    views = []
    for index, (kind, section) in enumerate(sections(document), start=1):
        summary = section["summary"]
        ran = [c for c in section["controls"] if c["covered"]]
        empty = None if ran or summary.get("backup_note") else w.empty_section()
        views.append(
            {
                "anchor": f"s{index}",
                "kind": kind,
                "heading": section_heading(w, kind, section),
                "summary": w.summary_lines(summary),
                "directories": w.directory_audits(section),
                "failing": int(summary.get("non_compliant", 0)),
                "backup_note": w(BACKUP_NOTE) if summary.get("backup_note") else None,
                "not_covered": w.not_covered(summary),
                "empty": empty,
                "controls": [_control_view(w, c) for c in ran],
            }
        )
    tests = document.get("restore_tests") or []
    return {
        "lang": w.lang,
        "title": w("CaRE evidence"),
        "name": who.get("name"),
        "who": [(w(WHO_LABELS[key]), str(who[key])) for key in FIELDS if who.get(key)],
        "generated": w.when(document.get("generated")),
        "version": str(document.get("carehard_version") or ""),
        "inventory": w.inventory(document),
        "platforms": w.platforms(document),
        "how_to_read": w(HOW_TO_READ),
        "backup_missing": None if document.get("backup_verification") else w(BACKUP_NOTE),
        "runs": [
            {
                "id": r["id"],
                "cells": [
                    w(str(r["mode"])),
                    w.when(r["started"]),
                    str(r["inventory"]),
                    w.number(int(r["hosts"])),
                    w.number(int(r["controls"])),
                ],
            }
            for r in document.get("runs") or []
        ],
        "sections": views,
        "restore": [{"cells": restore_row(w, t), "cls": _restore_class(t)} for t in tests],
        "restore_empty": None if tests else w("No restore test in these runs."),
        "control_headers": [w(h) for h in CONTROL_HEADERS],
        "restore_headers": [w(h) for h in RESTORE_HEADERS],
        "run_headers": [w(h) for h in RUN_HEADERS],
    }


def _control_view(w: Words, c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "title": c["title"],
        "severity": w(str(c["severity"])),
        "severity_class": f"sev-{c['severity']}",
        "state": w.state(c["state"]),
        "state_class": f"st-{c['state']}",
        "pass": w.number(int(c["pass"])),
        "fail": w.number(int(c["fail"])),
        "other": w.number(int(c["other"])),
        "other_detail": w.other_detail(c["counts"]),
        "run_id": c["run_id"] or "—",
        "run_when": w.when(c.get("run_started")),
    }


def _restore_class(test: dict[str, Any]) -> str:
    if test.get("verdict") != "pass" or test.get("within_rto") is False:
        return "st-non_compliant"
    return "st-compliant"
