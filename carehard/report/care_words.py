"""The words, numbers and dates of the CaRE document (carehard.report.care_document) in its language,
shared by its renderers (HTML, Markdown, CSV, JUnit) and the terminal tables.

The English text is the key; the French words are in carehard.report.i18n.care_fr, looked up first
(then the words the run reports share, carehard.report.i18n.FRENCH). Numbers and dates come from
carehard.report.i18n.formats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from carehard.durations import format_duration
from carehard.report.i18n import FRENCH, care_fr, formats
from carehard.report.labels import percent

BACKUP_NOTE = "backup verification is not part of these runs: run carehard backup verify"
STATES = ("compliant", "non-compliant", "incomplete", "not applicable")
STATE_OF = {
    "compliant": "compliant",
    "non_compliant": "non-compliant",
    "incomplete": "incomplete",
    "not_applicable": "not applicable",
    "not_covered": "not covered",
}
REASONS = {
    "backup": "no backup verification in these runs",
    "windows": "Windows only, no Windows host in these runs",
    "directory": "Active Directory, no directory audited in these runs",
    "linux": "Linux only, no Linux host in these runs",
    "not_run": "reported by no host in these runs",
}
VERDICTS = {"pass": "passed", "fail": "failed", "error": "error", "unreachable": "unreachable"}
SUMMARY_LABELS = (
    ("compliant", "Compliant on every host"),
    ("non_compliant", "Non-compliant on at least one host"),
    ("incomplete", "Incomplete (task error or host unreachable)"),
    ("not_applicable", "Not applicable on every host"),
)
DASH = "\u2013"
_ID = re.compile(r"^(.*-)([0-9]+)$")


class Words:
    """The document's texts in one language: w("Control"), w.when(iso), w.percent(rate)..."""

    def __init__(self, lang: str) -> None:
        self.lang = "fr" if lang == "fr" else "en"
        self.french = self.lang == "fr"

    def __call__(self, text: str) -> str:
        if not self.french:
            return text
        return care_fr.WORDS.get(text) or FRENCH.get(text, text)

    def when(self, value: Any) -> str:
        return formats.moment(value, self.lang) if value else "—"

    def number(self, value: int) -> str:
        return formats.integer(value, self.lang)

    def percent(self, rate: float | None) -> str:
        return formats.percent_text(percent(rate), self.lang)

    def duration(self, seconds: float | None) -> str:
        """format_duration() in the document's language: 45,2 s, 38 min, 55,6 h, 2,3 j in French."""
        text = format_duration(seconds)
        if not self.french or text == "—":
            return text
        return text.replace(".", ",").replace(" d", " j").replace(" ", formats.NBSP)

    def state(self, state: str) -> str:
        return self(STATE_OF.get(state, state))

    def verdict(self, verdict: str) -> str:
        return self(VERDICTS.get(verdict, verdict))

    def domain_heading(self, section: Mapping[str, Any]) -> str:
        return self("CaRE domain: {title}").format(title=self(str(section["title"])))

    def objective_heading(self, section: Mapping[str, Any]) -> str:
        label = str(section.get("label") or "")
        pattern = "CaRE objective {id}: {label}" if label else "CaRE objective {id}"
        return self(pattern).format(id=section["id"], label=label)

    def summary_lines(self, summary: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The summary of a section as (label, value): only the controls that ran are counted."""
        ran, total = int(summary["run"]), int(summary["controls"])
        lines = [
            (
                self("Controls run (on at least one host)"),
                self("{n} of {total}").format(n=self.number(ran), total=self.number(total)),
            )
        ]
        if not ran:
            return lines
        for key, label in SUMMARY_LABELS:
            lines.append((self(label), self.number(int(summary[key]))))
        results = summary["results"]
        counted = int(results["pass"]) + int(results["fail"]) + int(results["incomplete"])
        lines.append(
            (
                self("Host results compliant"),
                self("{rate} ({good} of {counted})").format(
                    rate=self.percent(summary["rate"]),
                    good=self.number(int(results["pass"])),
                    counted=self.number(counted),
                ),
            )
        )
        return lines

    def not_covered(self, summary: Mapping[str, Any]) -> str | None:
        """The one line naming the controls these runs did not cover, grouped by why."""
        groups: Mapping[str, list[str]] = summary.get("not_covered") or {}
        parts = [
            f"{id_ranges(ids)} ({self(REASONS.get(reason, reason))})" for reason, ids in groups.items() if ids
        ]
        if not parts:
            return None
        count = sum(len(ids) for ids in groups.values())
        head = self("Not covered by these runs ({n}, not counted)").format(n=self.number(count))
        return f"{head}{self(': ')}{self('; ').join(parts)}"

    def directory_audits(self, section: Mapping[str, Any]) -> list[str]:
        """D1's Active Directory audits, one line each: "Active Directory chu-example.fr audited on
        7 Dec 2026 08:00 UTC (run …): AD controls compliant 4, non-compliant 18"."""
        lines = []
        for audit in section.get("directory_audits") or []:
            line = self("Active Directory {domain} audited on {when} (run {run})").format(
                domain=audit.get("domain") or audit.get("host"),
                when=self.when(audit.get("read_at") or audit.get("run_started")),
                run=audit.get("run_id"),
            )
            counts = self("AD controls compliant {passed}, non-compliant {failed}").format(
                passed=self.number(int(audit.get("passed") or 0)),
                failed=self.number(int(audit.get("failed") or 0)),
            )
            other = int(audit.get("other") or 0)
            if other:
                counts += self(", other {other}").format(other=self.number(other))
            lines.append(f"{line}{self(': ')}{counts}")
        return lines

    def empty_section(self) -> str:
        return self("No control of this section ran on any host of these runs.")

    def hosts_line(self, control: Mapping[str, Any]) -> str:
        """Its state across the fleet in one line: "2 compliant, 1 non-compliant, 0 other of 3 hosts"."""
        return self("{good} compliant, {bad} non-compliant, {other} other, of {hosts}").format(
            good=self.number(int(control["pass"])),
            bad=self.number(int(control["fail"])),
            other=self.number(int(control["other"])),
            hosts=self.hosts(int(control["pass"]) + int(control["fail"]) + int(control["other"])),
        )

    def hosts(self, n: int) -> str:
        one = n <= 1 if self.french else n == 1
        return self("{n} host" if one else "{n} hosts").format(n=self.number(n))

    def other_detail(self, counts: Mapping[str, int]) -> str:
        """What "other" is made of: "1 error, 2 not applicable"."""
        parts = [
            f"{self.number(int(counts[s]))} {self(label)}"
            for s, label in (
                ("error", "error"),
                ("unreachable", "unreachable"),
                ("not_applicable", "not applicable"),
            )
            if counts.get(s)
        ]
        return ", ".join(parts)

    def within_rto(self, test: Mapping[str, Any]) -> str:
        within = test.get("within_rto")
        if within is None:
            return self("unknown")
        return self("yes") if within else self("no")

    def inventory(self, document: Mapping[str, Any]) -> str:
        if document.get("inventory"):
            return str(document["inventory"])
        listed = [str(i) for i in document.get("inventories") or []]
        everything = self("every inventory of the history")
        return f"{everything} ({', '.join(listed)})" if listed else everything

    def platforms(self, document: Mapping[str, Any]) -> str:
        names = {"linux": "Linux", "windows": "Windows", "directory": "Active Directory"}
        found = [names.get(str(p), str(p)) for p in document.get("platforms") or []]
        return ", ".join(found) if found else self("none")


def sections(document: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """("objective", section) for each objective, then ("domain", section) for each domain."""
    for objective in document.get("objectives") or []:
        yield "objective", objective
    for domain in document.get("domains") or []:
        yield "domain", domain


def id_ranges(ids: Iterable[str]) -> str:
    """Control IDs, three or more consecutive numbers of one prefix as a range with an en dash:
    "RA-WIN-01\u201305, WL-ACC-02"."""
    groups: dict[str, list[tuple[int, str]]] = {}
    loose: list[str] = []
    for cid in sorted(ids):
        match = _ID.match(cid)
        if match:
            groups.setdefault(match.group(1), []).append((int(match.group(2)), match.group(2)))
        else:
            loose.append(cid)
    parts: list[str] = []
    for prefix, numbers in groups.items():
        start = end = numbers[0]
        for number in [*numbers[1:], None]:
            if number is not None and number[0] == end[0] + 1:
                end = number
                continue
            if end[0] >= start[0] + 2:
                parts.append(f"{prefix}{start[1]}{DASH}{end[1]}")
            else:
                parts.extend(f"{prefix}{n[1]}" for n in ([start, end] if end != start else [start]))
            if number is not None:
                start = end = number
    return ", ".join([*parts, *loose])
