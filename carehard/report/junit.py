"""JUnit XML rendering of a ``carehard-report/1`` report dict, for CI servers and schedulers.

One ``<testsuite>`` per host (``name`` and ``hostname`` are the host, its facts are
``<properties>``, its host-level errors the suite's ``<system-err>``), one ``<testcase>`` per
control that ran there (``classname`` is the control's family, ``name`` is "<ID> <title>"),
all inside ``<testsuites name="carehard <mode> <run id>">`` with the totals. Statuses map to
JUnit results:

- ``pass``, ``fixed``: passed; the evidence is the case's ``<system-out>`` ("fixed by harden: …");
- ``fail``: ``<failure type="fail">``, message the first evidence line, text the whole evidence;
- ``error``: ``<error type="error">``; ``unreachable``: ``<error type="unreachable">``;
- ``not_applicable``: ``<skipped>``; ``waived``: ``<skipped message="waived: …">``, an accepted
  risk, not a failure.

A host never reached, with no result, gets one ``unreachable`` case per control of the report.
The document is built with ElementTree, so every value is escaped; characters that XML 1.0 does
not allow at all (C0 controls other than tab, line feed and carriage return, lone surrogates,
U+FFFE and U+FFFF) are removed from the evidence and names.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime
from typing import Any

from carehard.report.csv_report import host_results

# Longest message attribute: the first evidence line, cut (the element's text has it all).
_MESSAGE_MAX = 300
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# status -> (JUnit element, counter it adds to); None: a passed case.
_OUTCOME: dict[str, tuple[str, str] | None] = {
    "pass": None,
    "fixed": None,
    "fail": ("failure", "failures"),
    "error": ("error", "errors"),
    "unreachable": ("error", "errors"),
    "not_applicable": ("skipped", "skipped"),
    "waived": ("skipped", "skipped"),
}
_COUNTERS = ("tests", "failures", "errors", "skipped")
_PREFIX = {"fixed": "fixed by harden", "waived": "waived", "not_applicable": "not applicable"}


def _clean(value: Any) -> str:
    return _NOT_XML.sub("", "" if value is None else str(value))


def _first_line(text: str) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= _MESSAGE_MAX else line[: _MESSAGE_MAX - 1] + "…"


def _message(status: str, evidence: str) -> str:
    first = _first_line(evidence)
    prefix = _PREFIX.get(status)
    if prefix:
        return f"{prefix}: {first}" if first else prefix
    return first or status


def _duration(run: dict[str, Any]) -> str | None:
    try:
        started = datetime.fromisoformat(str(run["started"]))
        finished = datetime.fromisoformat(str(run["finished"]))
    except (KeyError, TypeError, ValueError):
        return None
    return f"{max((finished - started).total_seconds(), 0.0):.3f}"


def _testcase(suite: ET.Element, ctl: dict[str, Any], cid: str, status: str, evidence: str) -> str | None:
    """Append one case; return the counter it adds to (None for a passed case)."""
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_clean(ctl.get("family", "unknown")),
        name=_clean(f"{cid} {ctl.get('title', '')}".strip()),
    )
    evidence = _clean(evidence)
    outcome = _OUTCOME.get(status, ("error", "errors"))
    if outcome is None:
        if evidence or status == "fixed":
            out = ET.SubElement(case, "system-out")
            out.text = f"fixed by harden: {evidence}" if status == "fixed" else evidence
        return None
    tag, counter = outcome
    result = ET.SubElement(case, tag, message=_message(status, evidence), type=_clean(status))
    if evidence:
        result.text = evidence
    return counter


def render_junit(report: dict[str, Any]) -> str:
    """Render a ``carehard-report/1`` dict as a JUnit XML document (one suite per host)."""
    run: dict[str, Any] = report.get("run") or {}
    controls: list[dict[str, Any]] = report.get("controls") or []
    by_id = {str(c.get("id")): c for c in controls}
    control_ids = list(by_id)
    root = ET.Element("testsuites", name=_clean(f"carehard {run.get('mode', '')} {run.get('id', '')}"))
    root.attrib.update(dict.fromkeys(_COUNTERS, "0"))
    totals: Counter[str] = Counter()
    timestamp = _clean(run.get("started") or "")
    for host in report.get("hosts") or []:
        name = _clean(host.get("name", "?"))
        suite = ET.SubElement(root, "testsuite", name=name)
        suite.attrib.update(dict.fromkeys(_COUNTERS, "0"))
        suite.set("hostname", name)
        if timestamp:
            suite.set("timestamp", timestamp)
        props = ET.SubElement(suite, "properties")
        facts = host.get("facts") or {}
        who = {f"establishment_{key}": value for key, value in (report.get("establishment") or {}).items()}
        reachable = ("reachable", str(bool(host.get("reachable", True))).lower())
        for key, value in (reachable, *facts.items(), *who.items()):
            if value is not None:
                ET.SubElement(props, "property", name=_clean(key), value=_clean(value))
        counts: Counter[str] = Counter()
        for result in host_results(host, control_ids):
            cid = result["control"]
            counter = _testcase(suite, by_id.get(cid) or {}, cid, result["status"], result["evidence"])
            counts["tests"] += 1
            if counter:
                counts[counter] += 1
        errors = [_clean(e) for e in host.get("errors") or []]
        if errors:
            ET.SubElement(suite, "system-err").text = "\n".join(errors)
        for key in _COUNTERS:
            suite.set(key, str(counts[key]))
        totals.update(counts)
    for key in _COUNTERS:
        root.set(key, str(totals[key]))
    duration = _duration(run)
    if duration is not None:
        root.set("time", duration)
    if timestamp:
        root.set("timestamp", timestamp)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
