"""The CaRE document (carehard.report.care_document) as JSON, Markdown, CSV and JUnit XML.

- care.json: the document as it is.
- care.md: the document for a ticket, an e-mail or a wiki: header, runs, each section's summary (D1's
  with the Active Directory audits of the runs) and controls, the restore tests.
- care.csv: one row per section and control (covered or not), for a spreadsheet; RFC 4180 with a
  UTF-8 byte order mark. A French document is `;` separated with French headers (as the run report's
  CSV); the values keep the document's vocabulary (compliant, non_compliant, high...). A cell that
  a spreadsheet would take for a formula gets a leading apostrophe.
- care.junit.xml: one suite per section (D1's system-out names the Active Directory audits), one case
  per control (a non-compliant control fails, an incomplete one is an error, a control not covered or
  not applicable is skipped), and a suite of the restore tests (a failed one, or one whose estimated
  full restore exceeds the RTO, fails).
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

from carehard.report.care_words import BACKUP_NOTE, REASONS, Words, sections

# Characters XML 1.0 does not allow at all, and those no spreadsheet shows.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\r\n]+")  # not the no-break spaces of French typography
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#])")
_FORMULA = re.compile(r"^\s*[=+\-@]|^[\t\r]")
BOM = "\ufeff"

CSV_COLUMNS = (
    "section_kind",
    "section",
    "section_title",
    "control",
    "title",
    "severity",
    "state",
    "hosts_compliant",
    "hosts_non_compliant",
    "hosts_other",
    "not_covered",
    "run_id",
    "run_started",
    "establishment",
    "finess",
)
CSV_COLUMNS_FR = (
    "Type de section",
    "Section",
    "Intitulé de la section",
    "Contrôle",
    "Intitulé",
    "Gravité",
    "État",
    "Hôtes conformes",
    "Hôtes non conformes",
    "Autres hôtes",
    "Non couvert (raison)",
    "Exécution",
    "Début de l'exécution",
    "Établissement",
    "FINESS",
)
CONTROL_HEADERS = (
    "Control",
    "Title",
    "Severity",
    "State",
    "Compliant hosts",
    "Non-compliant hosts",
    "Other hosts",
    "Run",
)
RESTORE_HEADERS = (
    "Backup set (application)",
    "Tested on",
    "Verdict",
    "Snapshot",
    "Test restore",
    "Estimated full restore",
    "RTO",
    "Within RTO",
)
RUN_HEADERS = ("Run", "Mode", "Started", "Inventory", "Hosts", "Controls taken from it")
WHO = (("name", "Establishment"), ("finess", "FINESS"), ("site", "Site"), ("author", "Author"))


def render_care_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def section_heading(w: Words, kind: str, section: dict[str, Any]) -> str:
    return w.objective_heading(section) if kind == "objective" else w.domain_heading(section)


def run_cell(w: Words, control: dict[str, Any]) -> str:
    if not control.get("run_id"):
        return "—"
    return f"{control['run_id']} ({w.when(control.get('run_started'))})"


def restore_row(w: Words, test: dict[str, Any]) -> list[str]:
    return [
        str(test["set"]),
        w.when(test.get("checked_at")),
        w.verdict(str(test.get("verdict"))),
        w.when(test.get("snapshot_time")),
        w.duration(test.get("restore_seconds")),
        w.duration(test.get("rto_estimate_seconds")),
        w.duration(test.get("rto_seconds")) if test.get("rto_seconds") else "—",
        w.within_rto(test),
    ]


# -- Markdown ---------------------------------------------------------------------------------------


def _md(text: Any) -> str:
    line = _SPACES.sub(" ", _CONTROL_CHARS.sub("", "" if text is None else str(text))).strip()
    return _MARKDOWN.sub(r"\\\1", line)


def _md_table(headers: tuple[str, ...], rows: list[list[str]], w: Words) -> list[str]:
    lines = ["| " + " | ".join(_md(w(h)) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
    return lines


def render_care_markdown(document: dict[str, Any]) -> str:
    w = Words(str(document.get("lang")))
    who = document.get("establishment") or {}
    title = w("CaRE evidence")
    lines = [f"# {_md(title)}" + (f" — {_md(who['name'])}" if who.get("name") else ""), ""]
    for key, label in WHO:
        if who.get(key):
            lines.append(f"- {_md(w(label))}{w(': ')}{_md(who[key])}")
    lines += [
        f"- {_md(w('Produced on'))}{w(': ')}{_md(w.when(document.get('generated')))}"
        f" (carehard {_md(document.get('carehard_version'))})",
        f"- {_md(w('Inventory'))}{w(': ')}{_md(w.inventory(document))}",
        f"- {_md(w('Host platforms in these runs'))}{w(': ')}{_md(w.platforms(document))}",
        "",
        _md(w(HOW_TO_READ)),
        "",
    ]
    if not document.get("backup_verification"):
        lines += [f"> **{_md(w(BACKUP_NOTE))}**", ""]
    lines += [f"## {_md(w('Runs this document draws on'))}", ""]
    runs = document.get("runs") or []
    if runs:
        rows = [
            [
                r["id"],
                w(str(r["mode"])),
                w.when(r["started"]),
                r["inventory"],
                w.number(r["hosts"]),
                w.number(r["controls"]),
            ]
            for r in runs
        ]
        lines += _md_table(RUN_HEADERS, rows, w)
    else:
        lines.append(_md(w("No run in the history yet.")))
    for kind, section in sections(document):
        lines += ["", f"## {_md(section_heading(w, kind, section))}", ""]
        summary = section["summary"]
        lines += [f"- {_md(label)}{w(': ')}{_md(value)}" for label, value in w.summary_lines(summary)]
        lines += [f"- {_md(line)}" for line in w.directory_audits(section)]
        if summary.get("backup_note"):
            lines.append(f"- **{_md(w(BACKUP_NOTE))}**")
        missing = w.not_covered(summary)
        if missing:
            lines.append(f"- {_md(missing)}")
        ran = [c for c in section["controls"] if c["covered"]]
        if ran:
            lines.append("")
            rows = [
                [
                    c["id"],
                    c["title"],
                    w(c["severity"]),
                    w.state(c["state"]),
                    w.number(c["pass"]),
                    w.number(c["fail"]),
                    w.number(c["other"]),
                    run_cell(w, c),
                ]
                for c in ran
            ]
            lines += _md_table(CONTROL_HEADERS, rows, w)
        elif not summary.get("backup_note"):
            lines.append(f"- {_md(w.empty_section())}")
    lines += ["", f"## {_md(w('Last restore test per application'))}", ""]
    tests = document.get("restore_tests") or []
    if tests:
        lines += _md_table(RESTORE_HEADERS, [restore_row(w, t) for t in tests], w)
    elif document.get("backup_verification"):
        lines.append(_md(w("No restore test in these runs.")))
    else:
        lines.append(f"**{_md(w(BACKUP_NOTE))}**")
    return "\n".join(lines) + "\n"


HOW_TO_READ = (
    "Each control's state is that of the newest run in which a host reported it. A section's figures"
    " count only the controls that ran on at least one host; the controls these runs did not cover are"
    " listed apart, not counted as failures."
)


# -- CSV --------------------------------------------------------------------------------------------


def _csv_cell(value: Any) -> str:
    text = _CONTROL_CHARS.sub("", "" if value is None else str(value))
    return "'" + text if _FORMULA.match(text) else text


def render_care_csv(document: dict[str, Any]) -> str:
    w = Words(str(document.get("lang")))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if w.french else ",", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS_FR if w.french else CSV_COLUMNS)
    who = document.get("establishment") or {}
    for kind, section in sections(document):
        key = section["id"] if kind == "objective" else section["domain"]
        heading = section.get("label", "") if kind == "objective" else w(str(section["title"]))
        for c in section["controls"]:
            row = [
                kind,
                key,
                heading,
                c["id"],
                c["title"],
                c["severity"],
                c["state"],
                c["pass"] if c["covered"] else "",
                c["fail"] if c["covered"] else "",
                c["other"] if c["covered"] else "",
                c["not_covered"] or "",
                c["run_id"] or "",
                c["run_started"] or "",
                who.get("name", ""),
                who.get("finess", ""),
            ]
            writer.writerow([_csv_cell(v) for v in row])
    return BOM + buffer.getvalue()


# -- JUnit ------------------------------------------------------------------------------------------


def _x(value: Any) -> str:
    return _NOT_XML.sub("", "" if value is None else str(value))


_COUNTERS = ("tests", "failures", "errors", "skipped")


def _case(
    suite: ET.Element, classname: str, name: str, outcome: tuple[str, str, str] | None, out: str
) -> str:
    """One case; outcome (element, type, message) or None when it passed. Its counter's name."""
    case = ET.SubElement(suite, "testcase", classname=_x(classname), name=_x(name))
    if outcome is None:
        if out:
            ET.SubElement(case, "system-out").text = _x(out)
        return "passed"
    tag, kind, message = outcome
    element = ET.SubElement(case, tag, message=_x(message), type=_x(kind))
    if out:
        element.text = _x(out)
    return {"failure": "failures", "error": "errors", "skipped": "skipped"}[tag]


def _control_outcome(w: Words, c: dict[str, Any]) -> tuple[str, str, str] | None:
    state = c["state"]
    if state == "not_covered":
        return ("skipped", "not_covered", f"{w.state(state)}{w(': ')}{w(_reason(c))}")
    line = w.hosts_line(c)
    if state == "non_compliant":
        return ("failure", state, line)
    if state == "incomplete":
        return ("error", state, line)
    if state == "not_applicable":
        return ("skipped", state, w.state(state))
    return None


def _reason(c: dict[str, Any]) -> str:
    return REASONS.get(str(c["not_covered"]), str(c["not_covered"]))


def _restore_outcome(w: Words, t: dict[str, Any]) -> tuple[str, str, str] | None:
    verdict = str(t.get("verdict"))
    if verdict == "fail":
        return ("failure", verdict, w.verdict(verdict))
    if verdict != "pass":
        return ("error", verdict, w.verdict(verdict))
    if t.get("within_rto") is False:
        message = w("Estimated full restore {estimate} over the RTO {rto}").format(
            estimate=w.duration(t.get("rto_estimate_seconds")), rto=w.duration(t.get("rto_seconds"))
        )
        return ("failure", "rto", message)
    return None


def render_care_junit(document: dict[str, Any]) -> str:
    w = Words(str(document.get("lang")))
    root = ET.Element("testsuites", name=_x(f"carehard {w('CaRE evidence')}"))
    generated = _x(document.get("generated") or "")
    totals: Counter[str] = Counter()
    properties = [(f"establishment_{k}", v) for k, v in (document.get("establishment") or {}).items()]
    properties += [("inventory", w.inventory(document)), ("generated", generated)]

    def suite_of(name: str) -> ET.Element:
        suite = ET.SubElement(root, "testsuite", name=_x(name))
        if generated:
            suite.set("timestamp", generated)
        props = ET.SubElement(suite, "properties")
        for key, value in properties:
            ET.SubElement(props, "property", name=_x(key), value=_x(value))
        return suite

    def close(suite: ET.Element, counts: Counter[str]) -> None:
        for key in _COUNTERS:
            suite.set(key, str(counts[key]))
        totals.update(counts)

    for kind, section in sections(document):
        suite = suite_of(section_heading(w, kind, section))
        key = section["id"] if kind == "objective" else section["domain"]
        counts: Counter[str] = Counter()
        for c in section["controls"]:
            out = "" if not c["covered"] else f"{w.hosts_line(c)} — {w('Run')} {run_cell(w, c)}"
            counts[
                _case(suite, f"care.{kind}.{key}", f"{c['id']} {c['title']}", _control_outcome(w, c), out)
            ] += 1
            counts["tests"] += 1
        audits = w.directory_audits(section)
        if audits:
            ET.SubElement(suite, "system-out").text = _x("\n".join(audits))
        close(suite, counts)
    suite = suite_of(w("Last restore test per application"))
    counts = Counter()
    for t in document.get("restore_tests") or []:
        out = " — ".join(
            f"{w(h)}{w(': ')}{v}" for h, v in zip(RESTORE_HEADERS[1:], restore_row(w, t)[1:], strict=True)
        )
        counts[_case(suite, "care.restore", str(t["set"]), _restore_outcome(w, t), out)] += 1
        counts["tests"] += 1
    if not document.get("backup_verification"):
        note = ("skipped", "not_run", w(BACKUP_NOTE))
        counts[_case(suite, "care.restore", w("backup verification"), note, "")] += 1
        counts["tests"] += 1
    close(suite, counts)
    for key in _COUNTERS:
        root.set(key, str(totals[key]))
    if generated:
        root.set("timestamp", generated)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
