"""Self-contained HTML rendering of a ``carehard-report/1`` report dict.

The page has no external resource of any kind (admin stations in hospitals are often
offline): CSS and the few lines of JS are inline. Everything the template shows is computed
once, so the template stays a plain loop and a 500 hosts x 100 controls matrix renders
quickly; jinja2 autoescaping is on, so evidence and names are always escaped.

This module assembles the page from its sections: html_results (hosts, controls, families,
CaRE domains), html_backups (backup sets), html_fleet (inventory and exposure map), html_directory
(the Active Directory domains audited, templates/directory.html.j2) and html_charts (the trend
charts as inline SVG); the words and the rate come from labels.

The page is in the report's language (report["lang"]: en, or fr): the template writes every word of
its own through `_` (carehard.report.i18n; French words in i18n/html_fr and i18n/labels_fr), the
sections get the language for their numbers, dates and sentences.

The page opens on the priorities: the problems by severity and "What to fix first". A filter bar
(search, status, severity, family, host) is inline JS over data-* attributes; without JS it stays
hidden and everything shows. In print, everything shows whatever the filters, every section is
expanded, and the wide sections go to landscape pages (CSS named page "wide"): there the matrix and
the exposure map are print-only tables of at most _PRINT_MATRIX_COLUMNS controls (one family each)
and _PRINT_PORT_COLUMNS ports, so that no column is cut at the page's edge.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from carehard.establishment import FIELDS
from carehard.report.html_backups import backup_set_view
from carehard.report.html_charts import run_trend_chart
from carehard.report.html_directory import directory_views
from carehard.report.html_fleet import exposure_view, fleet_view
from carehard.report.html_results import (
    PROBLEMS,
    SEVERITIES,
    backups_ran,
    care_views,
    control_views,
    family_views,
    host_view,
    priority_view,
)
from carehard.report.i18n import labels_fr, lang_of, translator
from carehard.report.i18n.formats import moment, percent_text
from carehard.report.labels import (
    CARE_LABELS,
    EXIT_CODES,
    LEVEL_LABELS,
    STATUS_CODES,
    STATUS_LABELS,
    STATUS_MEANINGS,
    STATUSES,
    pass_rate,
    percent,
)

# Above this many matrix cells, the matrix starts collapsed so the page opens fast.
_OPEN_MATRIX_MAX_CELLS = 5000
# In print, the matrix is cut into tables of one family and at most this many controls, the exposure
# map into tables of at most this many ports: each fits an A4 landscape page.
_PRINT_MATRIX_COLUMNS = 40
_PRINT_PORT_COLUMNS = 16


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


def _words(_: Callable[[str], str]) -> Callable[[Any], Markup]:
    """The template's `_`: a text in the report's language, escaped as autoescape does but for the
    apostrophe ("the host's group", "l'hôte"), which needs none in text or a double-quoted attribute.
    Its .format() escapes what it is given."""

    def words(text: Any) -> Markup:
        return Markup(str(escape(_(text))).replace("&#39;", "'"))

    return words


def _noun(lang: str, _: Callable[[str], str]) -> Callable[[int, str, str], str]:
    """noun(n, "host", "hosts"): the word for n things; French takes the singular for 0 and 1."""

    def noun(count: int, singular: str, plural: str) -> str:
        if lang == "fr":
            return _(plural if count > 1 else singular)
        return singular if count == 1 else plural

    return noun


def _in(_: Callable[[str], str]) -> Callable[[str, str], str]:
    """in_(text, where): `text` as written in `where` ("none" is "aucune" as a host limit and "aucun"
    as skipped controls): WORDS["where|text"], else the text's own translation."""

    def in_(text: str, where: str) -> str:
        key = f"{where}|{text}"
        found = _(key)
        return _(text) if found == key else found

    return in_


def _count_label(labels: dict[str, str], lang: str) -> Callable[[str, int], str]:
    """A status label after a count: "3 fail" in English, "3 non conformes" in French."""

    def label(status: str, count: int) -> str:
        text = labels.get(status, status)
        return labels_fr.plural(text, count) if lang == "fr" else text

    return label


def _moment(value: Any, lang: str) -> Any:
    """A time of the run for a reader: unchanged in English, "25 nov. 2026 17:15 UTC" in French."""
    return moment(value, lang) if lang == "fr" and value else value


def _chunks(indexes: list[int], size: int) -> list[list[int]]:
    return [indexes[i : i + size] for i in range(0, len(indexes), size)]


def _print_matrix(
    controls: list[dict[str, Any]], families: list[dict[str, Any]], lang: str
) -> list[dict[str, Any]]:
    """The matrix as print shows it: tables of at most _PRINT_MATRIX_COLUMNS controls (their column
    indexes in the matrix), the families in their order, packed together while they fit; a larger
    family is cut in parts. Each table is captioned with its families, and `spans` gives the number of
    columns of each family in it."""
    _ = translator(lang)
    labels = {f["name"]: f["label"] for f in families}
    by_family: dict[str, list[int]] = {}
    for i, cv in enumerate(controls):
        by_family.setdefault(str(cv["family"]), []).append(i)
    segments: list[tuple[str, list[int]]] = []
    for family, indexes in by_family.items():
        chunks = _chunks(indexes, _PRINT_MATRIX_COLUMNS)
        for n, chunk in enumerate(chunks, 1):
            label = labels.get(family, family)
            if len(chunks) > 1:
                label = _("{family}, part {n} of {total}").format(family=label, n=n, total=len(chunks))
            segments.append((label, chunk))
    parts: list[dict[str, Any]] = []
    for label, chunk in segments:
        if parts and len(parts[-1]["columns"]) + len(chunk) <= _PRINT_MATRIX_COLUMNS:
            parts[-1]["labels"].append(label)
            parts[-1]["columns"].extend(chunk)
            parts[-1]["spans"].append(len(chunk))
        else:
            parts.append({"labels": [label], "columns": list(chunk), "spans": [len(chunk)]})
    return [{**part, "label": " · ".join(part["labels"])} for part in parts]


def _filter_options(
    controls: list[dict[str, Any]], families: list[dict[str, Any]], hosts: list[dict[str, Any]], lang: str
) -> dict[str, Any]:
    """The choices of the filter bar: only the statuses, severities, families and hosts of the report."""
    _ = translator(lang)
    present = {s for cv in controls for s in cv["counts"]}
    severities = {cv["severity"] for cv in controls}
    return {
        "statuses": [s for s in STATUSES if s in present],
        "severities": [(s, _(s)) for s in SEVERITIES if s in severities],
        "families": [(f["name"], f["label"]) for f in families],
        "hosts": [h["name"] for h in hosts],
    }


def _view(report: dict[str, Any]) -> dict[str, Any]:
    lang = lang_of(report)
    _ = translator(lang)
    run: dict[str, Any] = report.get("run") or {}
    controls: list[dict[str, Any]] = report.get("controls") or []
    control_ids = [str(c.get("id")) for c in controls]
    raw_hosts: list[dict[str, Any]] = report.get("hosts") or []
    hosts = [host_view(h, control_ids, lang) for h in raw_hosts]
    controls_shown = control_views(report, raw_hosts, lang)
    labels = {s: _(label) for s, label in STATUS_LABELS.items()}

    families = family_views(controls_shown, lang)
    exposure = exposure_view(report.get("exposure"), lang)
    if exposure:
        exposure["print_parts"] = _chunks(list(range(len(exposure["ports"]))), _PRINT_PORT_COLUMNS)

    summary = {s: int((report.get("summary") or {}).get(s, 0)) for s in STATUSES}
    total = sum(summary.values())
    rate = pass_rate(summary)

    level = run.get("level")
    exit_code = run.get("exit_code")
    selection = run.get("selection") or {}
    mode = run.get("mode", "")
    return {
        "lang": lang,
        "_": _words(_),
        "in_": _in(_),
        "noun": _noun(lang, _),
        "counted": _count_label(labels, lang),
        "colon": _(":"),
        "no_result": _("no result"),
        "schema": report.get("schema", ""),
        "establishment": {key: (report.get("establishment") or {}).get(key, "") for key in FIELDS},
        "run": {
            "id": run.get("id", ""),
            "mode": mode,
            "mode_label": _(mode) if isinstance(mode, str) else mode,
            "started": _moment(run.get("started") or "", lang),
            "finished": _moment(run.get("finished") or "", lang),
            "carehard_version": run.get("carehard_version", ""),
            "level": level,
            "level_text": "—" if level is None and lang == "fr" else level,
            "level_label": _(LEVEL_LABELS.get(level, "")) if isinstance(level, int) else "",
            "exit_code": exit_code,
            "exit_meaning": _(EXIT_CODES.get(exit_code, "")) if isinstance(exit_code, int) else "",
            "selection": {
                "inventory": selection.get("inventory") or "",
                "limit": selection.get("limit"),
                "only": selection.get("only") or [],
                "skip": selection.get("skip") or [],
            },
        },
        "statuses": STATUSES,
        "codes": {s: _(code) for s, code in STATUS_CODES.items()},
        "labels": labels,
        "meanings": {s: _(meaning) for s, meaning in STATUS_MEANINGS.items()},
        "summary": summary,
        "total": total,
        "rate": percent_text(percent(rate), lang),
        "rate_value": rate,
        "bar": [(s, summary[s] * 100 / total) for s in STATUSES if total and summary[s]],
        "controls": controls_shown,
        "control_ids": control_ids,
        "hosts": hosts,
        "unreachable_hosts": [h["name"] for h in hosts if not h["reachable"]],
        "error_hosts": [h for h in hosts if h["errors"]],
        "families": families,
        "priorities": priority_view(controls_shown, lang),
        "problem_statuses": PROBLEMS,
        "filters": _filter_options(controls_shown, families, hosts, lang),
        "care": care_views(controls_shown, lang),
        "care_left_out": sum(1 for cv in controls_shown if cv["refs"]["care"] and not cv["ran"]),
        "backups_ran": backups_ran(controls_shown),
        "care_labels": {domain: _(label) for domain, label in CARE_LABELS.items()},
        "matrix_open": len(hosts) * max(len(control_ids), 1) <= _OPEN_MATRIX_MAX_CELLS,
        "ncols": len(control_ids),
        "print_matrix": _print_matrix(controls_shown, families, lang),
        "backups": [backup_set_view(entry, lang) for entry in report.get("backups") or []],
        "trend": run_trend_chart(report.get("trend") or [], lang),
        "fleet": fleet_view(report.get("fleet"), lang),
        "exposure": exposure,
        "directories": directory_views(report, lang),
    }


def prepare() -> None:
    """Compile the template ahead of time (carehard does it while the playbook runs)."""
    _environment().get_template("report.html.j2")


def render_html(report: dict[str, Any]) -> str:
    """Render a ``carehard-report/1`` dict as one self-contained HTML page."""
    template = _environment().get_template("report.html.j2")
    return template.render(**_view(report))
