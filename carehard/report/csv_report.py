"""CSV rendering of a ``carehard-report/1`` report dict: one row per result, for spreadsheets.

The file is RFC 4180 CSV: a header row, then one row per host and control that ran there (a host
never reached, with no result, gets one ``unreachable`` row per control of the report), comma
separated, fields quoted only when needed, CRLF line ends. The evidence is kept whole: its line
breaks stay inside the quoted field. Reference lists (CaRE domains, ANSSI measures, CIS
sections) are joined with ``;``.

A French report (report["lang"] == "fr") is written for a French-locale Excel, which opens a file
double-clicked with ``;`` between fields and a decimal comma: its fields are separated by ``;``
(a cell holding a ``;`` is quoted), a number with decimals is written with a comma, and the header
row is in French (COLUMNS_FR, in the order of COLUMNS). The values keep the report's vocabulary
(see render_csv). An English report is comma separated, with the COLUMNS header: a French-locale
Excel opens it with Data > From Text/CSV, which detects the comma.

The text starts with a UTF-8 byte order mark (U+FEFF): without it, Excel reads the file as the
local 8-bit code page and mangles every accent (French hospital staff open these reports in
Excel). Most CSV readers skip the mark (Python: ``encoding="utf-8-sig"``); strip it when yours
does not. (No ``sep=;`` first line: Excel then ignores the mark.)

Evidence and host names come from the hosts: a cell that a spreadsheet would take for a formula
(starting with ``=``, ``+``, ``-`` or ``@``, possibly after white space, or starting with a tab
or carriage return) gets a leading apostrophe, as OWASP advises against CSV injection.
Characters no spreadsheet can show (C0 controls other than tab, line feed and carriage return)
are removed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from functools import partial
from typing import Any

from carehard.report.i18n import lang_of

BOM = "\ufeff"

COLUMNS: tuple[str, ...] = (
    "run_id",
    "run_started",
    "mode",
    "host",
    "reachable",
    "os",
    "os_version",
    "control",
    "title",
    "family",
    "level",
    "severity",
    "status",
    "evidence",
    "care",
    "anssi_hygiene",
    "anssi_bp028",
    "cis",
    "anssi_ad",
    "establishment",
    "finess",
)

# The header row of a French report: COLUMNS's meaning, in the same order.
COLUMNS_FR: tuple[str, ...] = (
    "Exécution",
    "Début de l'exécution",
    "Mode",
    "Hôte",
    "Joignable",
    "Système",
    "Version du système",
    "Contrôle",
    "Intitulé",
    "Famille",
    "Niveau",
    "Gravité",
    "Statut",
    "Preuve",
    "Domaines CaRE",
    "Guide d'hygiène ANSSI",
    "ANSSI BP-028",
    "CIS",
    "Points de contrôle AD ANSSI",
    "Établissement",
    "FINESS",
)

_FORMULA_START = ("=", "+", "-", "@")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def host_results(host: dict[str, Any], control_ids: list[str]) -> Iterator[dict[str, str]]:
    """The results of one host as the reports show them (shared by the CSV, JUnit and Markdown views).

    A host never reached, with no result, yields one ``unreachable`` result per control of the
    report. An ``unreachable`` result without evidence takes the host's errors as evidence.
    """
    results: list[dict[str, Any]] = host.get("results") or []
    if not results and not host.get("reachable", True):
        results = [{"control": cid, "status": "unreachable", "evidence": ""} for cid in control_ids]
    errors = "\n".join(str(e) for e in host.get("errors") or [])
    for result in results:
        status = str(result.get("status", ""))
        evidence = str(result.get("evidence") or "")
        if status == "unreachable" and not evidence:
            evidence = errors
        yield {"control": str(result.get("control", "")), "status": status, "evidence": evidence}


def _cell(value: Any, lang: str = "en") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and lang == "fr":
        # A number with decimals, as a French-locale Excel reads one. Identifiers that look like
        # numbers (os_version 12.8, CIS 5.1.20) are text and keep their dots.
        return str(value).replace(".", ",")
    text = _CONTROL_CHARS.sub("", str(value))
    if text and (text[0] in "\t\r" or text.lstrip().startswith(_FORMULA_START)):
        return "'" + text
    return text


def _join(values: Any) -> str:
    return ";".join(str(v) for v in values or [])


def render_csv(report: dict[str, Any]) -> str:
    """Render a ``carehard-report/1`` dict as CSV text (BOM first, CRLF line ends).

    In French, the header row and the separators change, not the values: status, mode, family,
    severity, level and reachable keep the report's own vocabulary (pass, fail, harden, high, true),
    the same in every language and in the JSON, the JUnit file and the docs, so that a spreadsheet
    filter, a pivot table or a script reads the French and the English files alike; and a text
    filter "conforme" would also pick "non conforme". The title comes in the report's language.
    """
    lang = lang_of(report)
    cell = partial(_cell, lang=lang)
    run: dict[str, Any] = report.get("run") or {}
    controls: list[dict[str, Any]] = report.get("controls") or []
    by_id = {str(c.get("id")): c for c in controls}
    control_ids = list(by_id)
    out = io.StringIO()
    out.write(BOM)
    delimiter = ";" if lang == "fr" else ","
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS_FR if lang == "fr" else COLUMNS)
    run_cells = [cell(run.get("id")), cell(run.get("started")), cell(run.get("mode"))]
    who = report.get("establishment") or {}
    who_cells = [cell(who.get("name")), cell(who.get("finess"))]
    for host in report.get("hosts") or []:
        facts = host.get("facts") or {}
        host_cells = [
            cell(host.get("name")),
            cell(bool(host.get("reachable", True))),
            cell(facts.get("os")),
            cell(facts.get("os_version")),
        ]
        for result in host_results(host, control_ids):
            ctl = by_id.get(result["control"]) or {}
            refs = ctl.get("references") or {}
            writer.writerow(
                [
                    *run_cells,
                    *host_cells,
                    cell(result["control"]),
                    cell(ctl.get("title")),
                    cell(ctl.get("family", "unknown")),
                    cell(ctl.get("level")),
                    cell(ctl.get("severity")),
                    cell(result["status"]),
                    cell(result["evidence"]),
                    cell(_join(refs.get("care"))),
                    cell(_join(refs.get("anssi_hygiene"))),
                    cell(_join(refs.get("anssi_bp028"))),
                    cell(_join(refs.get("cis"))),
                    cell(_join(refs.get("anssi_ad"))),
                    *who_cells,
                ]
            )
    return out.getvalue()
